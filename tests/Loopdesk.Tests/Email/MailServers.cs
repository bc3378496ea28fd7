using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Loopdesk.Tests.Email;

/// <summary>One message the SMTP sink received: the message as the sink wrote it, and its envelope.</summary>
public sealed record ReceivedMail(MimeMessage Message, string MailFrom, IReadOnlyList<string> RcptTo, string FileName);

/// <summary>One message as the IMAP server holds it in a folder.</summary>
public sealed record StoredMail(string Folder, uint Uid, MessageFlags Flags, IReadOnlyList<string> Keywords, string? MessageId, string? Subject)
{
    public bool Seen => Flags.HasFlag(MessageFlags.Seen);

    public bool HasKeyword(string keyword) => Keywords.Contains(keyword, StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// A real Dovecot IMAP server and a real SMTP sink (Debian's aiosmtpd) for one test class, on free loopback ports, in a
/// temp dir of their own that is removed afterwards. Both are plain text (no TLS): connect with
/// <see cref="SecureSocketOptions.None"/>.
/// <para>IMAP: the users <c>support</c> and <c>billing</c> exist from the start, both with the password
/// <see cref="Password"/>; <see cref="AddUserAsync"/> adds more. Every user has INBOX and the special-use folders Archive,
/// Drafts, Junk, Sent and Trash; the hierarchy separator is <c>/</c>. Messages arrive through Dovecot's own local
/// delivery (<see cref="DeliverAsync(string, byte[], string, CancellationToken)"/>), exactly as mail from outside does.</para>
/// <para>OAuth2: besides the password (mechanisms PLAIN and LOGIN), a user signs in with an access token over SASL XOAUTH2
/// or OAUTHBEARER. Dovecot's oauth2 passdb asks a token-info endpoint this fixture runs on another loopback port;
/// <see cref="IssueToken"/> makes a token it accepts for a user and <see cref="RevokeToken"/> takes it back, both at once.
/// The password is no token and a token no password.</para>
/// <para>SMTP: every message the sink accepts becomes a file that <see cref="ReceivedAsync"/> reads back with its envelope.
/// <see cref="StopSmtpAsync"/> and <see cref="StartSmtpAsync"/> take it down and bring it back on the same port.</para>
/// <para>Needs the Debian packages dovecot-imapd and python3-aiosmtpd (<c>./scripts/test</c> installs them). As root (CI)
/// the mail processes run as nobody; as anyone else, every Dovecot process runs as that user.</para>
/// </summary>
public sealed partial class MailServers : IAsyncLifetime
{
    public const string Password = "secret";
    public static readonly IReadOnlyList<string> InitialUsers = ["support", "billing"];

    private const string DovecotBinary = "/usr/sbin/dovecot";
    private const string ImapBinary = "/usr/lib/dovecot/imap";
    private const string LdaBinary = "/usr/lib/dovecot/dovecot-lda";
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, string> _users = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _smtpGate = new(1, 1);
    private readonly OutputTail _dovecotOutput = new();
    private readonly OutputTail _smtpOutput = new();
    private string? _root;
    private Process? _dovecot;
    private Process? _smtp;
    private HttpListener? _tokenInfo;
    private Task? _tokenInfoLoop;
    private int _tokenChecks;
    private bool _disposed;

    public string ImapHost { get; } = "127.0.0.1";

    public int ImapPort { get; private set; }

    public string SmtpHost { get; } = "127.0.0.1";

    /// <summary>The sink's port; it stays the same through <see cref="StopSmtpAsync"/> and <see cref="StartSmtpAsync"/>.</summary>
    public int SmtpPort { get; private set; }

    public bool SmtpRunning => _smtp is { HasExited: false };

    /// <summary>The token-info endpoint Dovecot validates access tokens with: the token is appended to this URL.</summary>
    public string TokenInfoUrl { get; private set; } = "";

    /// <summary>How many times Dovecot has asked the token-info endpoint about a token (valid or not).</summary>
    public int TokenChecks => Volatile.Read(ref _tokenChecks);

    private string DovecotDir => Path.Combine(Root, "dovecot");

    private string DovecotConf => Path.Combine(DovecotDir, "dovecot.conf");

    private string SmtpDir => Path.Combine(Root, "smtp");

    private string SmtpMaildir => Path.Combine(SmtpDir, "maildir");

    private string Root => _root ?? throw new InvalidOperationException("The mail servers are not started.");

    public async ValueTask InitializeAsync()
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("The mail servers for the tests are Debian's Dovecot and aiosmtpd: Linux only.");
        RequireInstalled();
        try
        {
            _root = Directory.CreateTempSubdirectory("loopdesk-mail.").FullName;
            // Dovecot's login processes run as another user and must traverse the path to their sockets
            File.SetUnixFileMode(_root, Mode755);
            foreach (var user in InitialUsers) _users[user] = Password;
            StartTokenInfo();
            await StartDovecotAsync();
            SmtpPort = FreePort();
            Directory.CreateDirectory(SmtpDir);
            await StartSmtpAsync();
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await StopSmtpAsync();
        await StopDovecotAsync();
        await StopTokenInfoAsync();
        if (_root is not null)
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
                // a process that is still going away may have written one more file; the OS cleans /tmp
            }
        }
        _smtpGate.Dispose();
    }

    // ---------------------------------------------------------------- IMAP

    /// <summary>Adds an IMAP user, who can sign in and receive mail at once (giving an existing user a new password takes Dovecot up to a second to see).</summary>
    public async Task AddUserAsync(string user, string password)
    {
        if (!UserName().IsMatch(user)) throw new ArgumentException($"Not a usable IMAP user name: '{user}' (letters, digits, . _ + - only).", nameof(user));
        if (password.Any(c => c is ':' or '\n' or '\r')) throw new ArgumentException("A password here has no ':' and no line break.", nameof(password));
        _users[user] = password;
        await WriteUserFileAsync(user);
    }

    /// <summary>The password of a user of this server.</summary>
    public string PasswordOf(string user) => _users.TryGetValue(user, out var password)
        ? password
        : throw new ArgumentException($"'{user}' is not a user of this IMAP server (users: {string.Join(", ", _users.Keys)}).", nameof(user));

    /// <summary>
    /// Delivers a message into a user's folder through Dovecot's local delivery agent, as mail from outside arrives: the
    /// message is new (unseen, recent), and a client idling on the folder hears of it. A folder that does not exist is
    /// created (and subscribed).
    /// </summary>
    public async Task DeliverAsync(string user, byte[] rawMessage, string folder = "INBOX", CancellationToken ct = default)
    {
        PasswordOf(user);
        var (code, _, error) = await RunAsync(LdaBinary, ["-c", DovecotConf, "-d", user, "-m", folder], rawMessage, ct);
        if (code != 0) throw new InvalidOperationException($"dovecot-lda could not deliver to {user}/{folder} (exit {code}): {error.Trim()}\n{DovecotLog()}");
    }

    public async Task DeliverAsync(string user, MimeMessage message, string folder = "INBOX", CancellationToken ct = default)
    {
        using var buffer = new MemoryStream();
        await message.WriteToAsync(FormatOptions.Default, buffer, ct);
        await DeliverAsync(user, buffer.ToArray(), folder, ct);
    }

    /// <summary>An <see cref="ImapClient"/> connected (plain text) and signed in as <paramref name="user"/>; the caller disposes it.</summary>
    public async Task<ImapClient> ConnectImapAsync(string user, CancellationToken ct = default)
    {
        var password = PasswordOf(user);
        var client = new ImapClient();
        try
        {
            await client.ConnectAsync(ImapHost, ImapPort, SecureSocketOptions.None, ct);
            await client.AuthenticateAsync(user, password, ct);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Creates a folder (and its parents, <c>/</c> separates levels) and subscribes to it; one that exists is left alone.</summary>
    public async Task CreateFolderAsync(string user, string folder, CancellationToken ct = default)
    {
        using var client = await ConnectImapAsync(user, ct);
        var parent = client.GetFolder(client.PersonalNamespaces[0]);
        foreach (var name in folder.Split(parent.DirectorySeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            IMailFolder next;
            try
            {
                next = await parent.GetSubfolderAsync(name, ct);
            }
            catch (FolderNotFoundException)
            {
                next = await parent.CreateAsync(name, isMessageFolder: true, ct)
                    ?? throw new InvalidOperationException($"{user}: the folder {name} was not created.");
                await next.SubscribeAsync(ct);
            }
            parent = next;
        }
        await client.DisconnectAsync(true, ct);
    }

    /// <summary>The full names of every folder of a user, INBOX included.</summary>
    public async Task<IReadOnlyList<string>> FoldersAsync(string user, CancellationToken ct = default)
    {
        using var client = await ConnectImapAsync(user, ct);
        var folders = await client.GetFoldersAsync(client.PersonalNamespaces[0], cancellationToken: ct);
        await client.DisconnectAsync(true, ct);
        return [.. folders.Select(f => f.FullName).Order(StringComparer.Ordinal)];
    }

    /// <summary>The UIDs in a folder, lowest first.</summary>
    public async Task<IReadOnlyList<uint>> UidsAsync(string user, string folder = "INBOX", CancellationToken ct = default) =>
        [.. (await MessagesAsync(user, folder, ct)).Select(m => m.Uid)];

    /// <summary>Every message in a folder with its UID, flags, keywords, Message-Id and subject, lowest UID first (read-only: nothing changes).</summary>
    public async Task<IReadOnlyList<StoredMail>> MessagesAsync(string user, string folder = "INBOX", CancellationToken ct = default)
    {
        using var client = await ConnectImapAsync(user, ct);
        var messages = await ReadFolderAsync(await client.GetFolderAsync(folder, ct), ct);
        await client.DisconnectAsync(true, ct);
        return messages;
    }

    /// <summary>Every message in every folder of a user: to find where a message went.</summary>
    public async Task<IReadOnlyList<StoredMail>> AllMessagesAsync(string user, CancellationToken ct = default)
    {
        using var client = await ConnectImapAsync(user, ct);
        var all = new List<StoredMail>();
        foreach (var folder in await client.GetFoldersAsync(client.PersonalNamespaces[0], cancellationToken: ct))
        {
            if (!folder.Attributes.HasFlag(FolderAttributes.NonExistent) && !folder.Attributes.HasFlag(FolderAttributes.NoSelect))
            {
                all.AddRange(await ReadFolderAsync(folder, ct));
            }
        }
        await client.DisconnectAsync(true, ct);
        return all;
    }

    /// <summary>One message by UID; fails when the folder has no such message.</summary>
    public async Task<StoredMail> MessageAsync(string user, uint uid, string folder = "INBOX", CancellationToken ct = default) =>
        (await MessagesAsync(user, folder, ct)).SingleOrDefault(m => m.Uid == uid)
        ?? throw new InvalidOperationException($"{user}/{folder} has no message with UID {uid}.");

    /// <summary>Dovecot's log so far (logins, deliveries, errors).</summary>
    public string DovecotLog()
    {
        var path = Path.Combine(DovecotDir, "dovecot.log");
        return File.Exists(path) ? File.ReadAllText(path) : "(no Dovecot log)";
    }

    private static async Task<IReadOnlyList<StoredMail>> ReadFolderAsync(IMailFolder folder, CancellationToken ct)
    {
        await folder.OpenAsync(FolderAccess.ReadOnly, ct);
        if (folder.Count == 0) return [];
        var summaries = await folder.FetchAsync(0, -1, MessageSummaryItems.UniqueId | MessageSummaryItems.Flags | MessageSummaryItems.Envelope, ct);
        return [.. summaries.OrderBy(s => s.UniqueId.Id).Select(s => new StoredMail(folder.FullName, s.UniqueId.Id, s.Flags ?? MessageFlags.None,
            [.. s.Keywords.Order(StringComparer.Ordinal)], s.Envelope?.MessageId, s.Envelope?.Subject))];
    }

    [SupportedOSPlatform("linux")]
    private async Task StartDovecotAsync()
    {
        Directory.CreateDirectory(DovecotDir, Mode755);
        var mail = Path.Combine(DovecotDir, "mail");
        Directory.CreateDirectory(mail, Mode755);
        var account = await MailAccountAsync();
        if (Environment.IsPrivilegedProcess)
        {
            // mail processes refuse to run as root: the mailboxes belong to nobody
            var (code, _, error) = await RunAsync("/bin/chown", ["nobody:nogroup", mail], null, default);
            if (code != 0) throw new InvalidOperationException($"chown nobody:nogroup {mail} failed: {error}");
        }
        Directory.CreateDirectory(Path.Combine(DovecotDir, "users"), Mode755);
        foreach (var user in _users.Keys) await WriteUserFileAsync(user);
        await File.WriteAllTextAsync(Path.Combine(DovecotDir, "oauth2.conf"), OAuth2Settings());

        // a port picked as free can be taken before Dovecot binds it: try another one then
        // (its greeting names this instance: the server that answers is ours, not another test's that took the port)
        var greeting = $"Loopdesk test IMAP {Guid.NewGuid():N}";
        for (var attempt = 1; ; attempt++)
        {
            ImapPort = FreePort();
            await File.WriteAllTextAsync(DovecotConf, DovecotConfig(DovecotDir, ImapPort, account, greeting));
            if (File.Exists(Path.Combine(DovecotDir, "run", "master.pid"))) File.Delete(Path.Combine(DovecotDir, "run", "master.pid"));
            _dovecotOutput.Clear();
            _dovecot = StartProcess(DovecotBinary, ["-F", "-c", DovecotConf], _dovecotOutput);
            if (await TurnOffAuthPenaltyAsync(_dovecot) && await WaitForGreetingAsync(ImapPort, greeting, _dovecot)) break;
            var log = $"{_dovecotOutput}\n{DovecotLog()}";
            await StopDovecotAsync();
            if (attempt < 3 && log.Contains("in use", StringComparison.OrdinalIgnoreCase)) continue;
            throw new InvalidOperationException($"Dovecot did not start on 127.0.0.1:{ImapPort}.\n{log}");
        }

        // one login and a SELECT bring up auth and the mail processes now, and show a broken setup here with its log
        try
        {
            using var client = await ConnectImapAsync(InitialUsers[0]);
            await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
            await client.DisconnectAsync(true);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"Dovecot started but a first login failed: {e.Message}\n{DovecotLog()}", e);
        }
    }

    /// <summary>
    /// Dovecot delays every login from an address that failed one, by 2 to 15 seconds (its auth penalty, kept by the
    /// anvil process); tests fail logins on purpose and all come from 127.0.0.1. The auth process turns the penalty off
    /// when the anvil socket for it does not exist, so it is removed once the master has made its sockets (it writes its
    /// pid file after that) and before anything connects (the auth process starts at the first connection).
    /// </summary>
    private async Task<bool> TurnOffAuthPenaltyAsync(Process master)
    {
        var run = Path.Combine(DovecotDir, "run");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(run, "master.pid")))
        {
            if (master.HasExited || clock.Elapsed > StartTimeout) return false;
            await Task.Delay(10);
        }
        File.Delete(Path.Combine(run, "anvil-auth-penalty"));
        return true;
    }

    private async Task StopDovecotAsync()
    {
        if (_dovecot is null) return;
        var master = _dovecot;
        _dovecot = null;
        if (!master.HasExited)
        {
            // "dovecot stop" signals the master named in this instance's pid file and waits for it
            var pidFile = Path.Combine(DovecotDir, "run", "master.pid");
            if (File.Exists(pidFile))
            {
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                try
                {
                    await RunAsync(DovecotBinary, ["-c", DovecotConf, "stop"], null, stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    // killed below
                }
            }
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await master.WaitForExitAsync(exit.Token);
            }
            catch (OperationCanceledException)
            {
                master.Kill(entireProcessTree: true);
                await master.WaitForExitAsync();
            }
        }
        master.Dispose();
    }

    /// <summary>One passwd-file per user: Dovecot reads a passwd-file again at most once a second, but a new user's file is new to it.</summary>
    private async Task WriteUserFileAsync(string user)
    {
        var path = Path.Combine(DovecotDir, "users", user);
        await File.WriteAllTextAsync(path + ".new", $"{user}:{{PLAIN}}{_users[user]}\n");
        File.Move(path + ".new", path, overwrite: true);
    }

    /// <summary>The account the mail processes run as: nobody when we are root (Dovecot refuses root), else ourselves.</summary>
    private static async Task<MailAccount> MailAccountAsync()
    {
        if (Environment.IsPrivilegedProcess) return new MailAccount("nobody", "nogroup", Rootless: false);
        var (code, group, _) = await RunAsync("/usr/bin/id", ["-gn"], null, default);
        if (code != 0) throw new InvalidOperationException("id -gn failed.");
        return new MailAccount(Environment.UserName, group.Trim(), Rootless: true);
    }

    private sealed record MailAccount(string User, string Group, bool Rootless);

    private static string DovecotConfig(string dir, int port, MailAccount account, string greeting)
    {
        // without root, every process runs as the current user and nothing is chrooted
        var rootless = account.Rootless
            ? $$"""
              default_internal_user = {{account.User}}
              default_internal_group = {{account.Group}}
              default_login_user = {{account.User}}
              first_valid_uid = 1
              first_valid_gid = 1
              service anvil {
                chroot =
              }
              """
            : "";
        var loginChroot = account.Rootless ? "chroot =" : "";
        return $$"""
            # a throwaway Dovecot for tests: plain text on one loopback port, a passwd-file per user, access tokens asked of a
            # token-info endpoint, maildirs in this dir
            protocols = imap
            listen = 127.0.0.1
            base_dir = {{dir}}/run
            state_dir = {{dir}}/state
            log_path = {{dir}}/dovecot.log
            login_greeting = {{greeting}}
            ssl = no
            disable_plaintext_auth = no
            auth_mechanisms = plain login xoauth2 oauthbearer
            auth_verbose = yes
            # a failed login answers within half a second (the auth process sends failures every 0.5 s)
            auth_failure_delay = 0
            # no stats process: a login process waiting for its handshake makes a stop take seconds
            stats_writer_socket_path =
            mail_location = maildir:~/Maildir
            mail_fsync = never
            lda_mailbox_autocreate = yes
            lda_mailbox_autosubscribe = yes
            {{rootless}}
            namespace inbox {
              inbox = yes
              separator = /
              mailbox Archive {
                special_use = \Archive
                auto = subscribe
              }
              mailbox Drafts {
                special_use = \Drafts
                auto = subscribe
              }
              mailbox Junk {
                special_use = \Junk
                auto = subscribe
              }
              mailbox Sent {
                special_use = \Sent
                auto = subscribe
              }
              mailbox Trash {
                special_use = \Trash
                auto = subscribe
              }
            }
            # access tokens (XOAUTH2, OAUTHBEARER) are checked only with the token-info endpoint, and passwords (PLAIN,
            # LOGIN) only with the passwd-files: without "mechanisms" every passdb is asked for every mechanism, and a
            # password would pass for a token. "none" is the lookup without a login, by which the static userdb checks
            # that a user exists (for dovecot-lda): without it every delivery fails ("All password databases were skipped")
            passdb {
              driver = oauth2
              mechanisms = xoauth2 oauthbearer
              args = {{dir}}/oauth2.conf
            }
            passdb {
              driver = passwd-file
              mechanisms = plain login none
              args = scheme=PLAIN username_format=%u {{dir}}/users/%u
            }
            userdb {
              driver = static
              args = uid={{account.User}} gid={{account.Group}} home={{dir}}/mail/%u
            }
            protocol imap {
              # the email channel, a test and its helpers may hold many connections at once
              mail_max_userip_connections = 100
            }
            service imap-login {
              {{loginChroot}}
              inet_listener imap {
                address = 127.0.0.1
                port = {{port}}
              }
              inet_listener imaps {
                port = 0
              }
            }

            """;
    }

    // ---------------------------------------------------------------- OAuth2

    /// <summary>
    /// A new access token for <paramref name="user"/>: from now on it signs them in over XOAUTH2 or OAUTHBEARER (as that
    /// user only), until <see cref="RevokeToken"/>. A user may hold several tokens.
    /// </summary>
    public string IssueToken(string user)
    {
        PasswordOf(user);
        var token = $"ya29.{Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}";
        _tokens[token] = user;
        return token;
    }

    /// <summary>Takes a token back (as when it expires or is revoked): the next sign-in with it fails. An unknown token is ignored.</summary>
    public void RevokeToken(string token) => _tokens.TryRemove(token, out _);

    /// <summary>
    /// Dovecot's oauth2 passdb settings: the token is appended to the token-info URL and asked for with a GET; a 200
    /// answer names the user in <c>username</c>, which must be the user signing in, any other status refuses the token.
    /// That answer has every field wanted, so nothing is introspected and introspection_mode does not matter (but
    /// "local" validates JWTs itself, skips the token-info URL and, without local_validation_key_dict, stops the
    /// auth process).
    /// </summary>
    private string OAuth2Settings() => $"""
        tokeninfo_url = {TokenInfoUrl}
        username_attribute = username
        timeout_msecs = 5000
        max_parallel_connections = 4

        """;

    /// <summary>Starts the token-info endpoint on a free loopback port (another one when the one picked is taken meanwhile).</summary>
    private void StartTokenInfo()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
                continue;
            }
            _tokenInfo = listener;
            TokenInfoUrl = $"http://127.0.0.1:{port}/tokeninfo?access_token=";
            _tokenInfoLoop = Task.Run(() => ServeTokenInfoAsync(listener));
            return;
        }
    }

    /// <summary>Answers like a provider's token-info endpoint: 200 with the user for a token issued and not revoked, else 401.</summary>
    private async Task ServeTokenInfoAsync(HttpListener listener)
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return; // stopped
            }
            try
            {
                Interlocked.Increment(ref _tokenChecks);
                var token = context.Request.Url?.AbsolutePath == "/tokeninfo" ? context.Request.QueryString["access_token"] : null;
                object answer;
                if (token is not null && _tokens.TryGetValue(token, out var user))
                {
                    context.Response.StatusCode = 200;
                    answer = new { username = user, scope = "https://mail.example/ imap", expires_in = 3600 };
                }
                else
                {
                    context.Response.StatusCode = 401;
                    answer = new { error = "invalid_token", error_description = "The access token is unknown, expired or revoked." };
                }
                var body = JsonSerializer.SerializeToUtf8Bytes(answer);
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = body.Length;
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // Dovecot hung up (it stops waiting after timeout_msecs)
            }
        }
    }

    private async Task StopTokenInfoAsync()
    {
        if (_tokenInfo is null) return;
        _tokenInfo.Close();
        if (_tokenInfoLoop is not null) await _tokenInfoLoop;
        _tokenInfo = null;
        _tokenInfoLoop = null;
    }

    // ---------------------------------------------------------------- SMTP

    /// <summary>Starts the sink on <see cref="SmtpPort"/> (again, after <see cref="StopSmtpAsync"/>); returns once it answers.</summary>
    public async Task StartSmtpAsync()
    {
        await _smtpGate.WaitAsync();
        try
        {
            if (SmtpRunning) return;
            _smtpOutput.Clear();
            // -n: no setuid to nobody; -u: SMTPUTF8. The Mailbox handler adds X-MailFrom and X-RcptTo with the envelope.
            _smtp = StartProcess(Python, ["-m", "aiosmtpd", "-n", "-u", "-l", $"127.0.0.1:{SmtpPort}", "-c", "aiosmtpd.handlers.Mailbox", SmtpMaildir], _smtpOutput);
            if (!await WaitForGreetingAsync(SmtpPort, "220 ", _smtp))
            {
                KillSmtp();
                throw new InvalidOperationException($"The SMTP sink did not start on 127.0.0.1:{SmtpPort}.\n{_smtpOutput}");
            }
        }
        finally
        {
            _smtpGate.Release();
        }
    }

    /// <summary>Kills the sink (its own process): from now on connections to <see cref="SmtpPort"/> are refused. Received mail stays.</summary>
    public async Task StopSmtpAsync()
    {
        await _smtpGate.WaitAsync();
        try
        {
            if (_smtp is null) return;
            KillSmtp();
            await _smtp.WaitForExitAsync();
            _smtp.Dispose();
            _smtp = null;
        }
        finally
        {
            _smtpGate.Release();
        }
    }

    /// <summary>Every message the sink has received (and not cleared), oldest first.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> ReceivedAsync(CancellationToken ct = default)
    {
        var received = new List<ReceivedMail>();
        foreach (var file in ReceivedFiles())
        {
            MimeMessage message;
            try
            {
                await using var stream = File.OpenRead(file);
                message = await MimeMessage.LoadAsync(stream, ct);
            }
            catch (FileNotFoundException)
            {
                continue; // cleared meanwhile
            }
            var rcptTo = message.Headers["X-RcptTo"] ?? "";
            received.Add(new ReceivedMail(message, (message.Headers["X-MailFrom"] ?? "").Trim(),
                [.. rcptTo.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)], Path.GetFileName(file)));
        }
        return received;
    }

    /// <summary>Waits until the sink holds at least <paramref name="count"/> messages and returns them all; fails after <paramref name="timeout"/>.</summary>
    public async Task<IReadOnlyList<ReceivedMail>> WaitForReceivedAsync(int count, TimeSpan timeout, CancellationToken ct = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (ReceivedFiles().Count >= count) return await ReceivedAsync(ct);
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"The SMTP sink received {ReceivedFiles().Count} of {count} messages in {timeout.TotalSeconds:0.#} s.\n{_smtpOutput}");
            }
            await Task.Delay(20, ct);
        }
    }

    /// <summary>Forgets every received message.</summary>
    public void ClearReceived()
    {
        foreach (var file in ReceivedFiles())
        {
            File.Delete(file);
        }
    }

    /// <summary>What the sink printed (its errors, when it refused something).</summary>
    public string SmtpLog() => _smtpOutput.ToString();

    private void KillSmtp()
    {
        try
        {
            if (_smtp is { HasExited: false }) _smtp.Kill();
        }
        catch (InvalidOperationException)
        {
            // exited meanwhile
        }
    }

    /// <summary>The sink's files, oldest first: Python names them "seconds.Mmicros PpidQcounter.host" and moves them into new/ when complete.</summary>
    private List<string> ReceivedFiles()
    {
        var files = new List<string>();
        foreach (var sub in new[] { "new", "cur" })
        {
            var dir = Path.Combine(SmtpMaildir, sub);
            if (Directory.Exists(dir)) files.AddRange(Directory.GetFiles(dir));
        }
        return [.. files.OrderBy(f => MaildirOrder(Path.GetFileName(f))).ThenBy(f => Path.GetFileName(f), StringComparer.Ordinal)];
    }

    private static (long Seconds, long Micros, long Counter) MaildirOrder(string name)
    {
        var m = MaildirName().Match(name);
        if (!m.Success) return (long.MaxValue, 0, 0);
        static long N(Group g) => long.Parse(g.Value, CultureInfo.InvariantCulture);
        return (N(m.Groups[1]), N(m.Groups[2]), N(m.Groups[3]));
    }

    [GeneratedRegex(@"^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$")]
    private static partial Regex UserName();

    [GeneratedRegex(@"^(\d+)\.M(\d+)P\d+Q(\d+)\.")]
    private static partial Regex MaildirName();

    // ---------------------------------------------------------------- processes and ports

    private static readonly UnixFileMode Mode755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private static void RequireInstalled()
    {
        var missing = new List<string>();
        if (!File.Exists(DovecotBinary) || !File.Exists(LdaBinary)) missing.Add("dovecot-core");
        if (!File.Exists(ImapBinary)) missing.Add("dovecot-imapd");
        if (!File.Exists(Python) || !Directory.Exists("/usr/lib/python3/dist-packages/aiosmtpd")) missing.Add("python3-aiosmtpd");
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"The mail tests need the Debian packages {string.Join(", ", missing)}, which are not installed: " +
                "run ./scripts/test, which installs them (or apt-get install dovecot-imapd python3-aiosmtpd).");
        }
    }

    /// <summary>
    /// A free loopback port below the ephemeral range: no outgoing connection of this machine is given it, so a server
    /// stopped for a while can have its port back.
    /// </summary>
    internal static int FreePort()
    {
        var low = 32768;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            low = int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // keep the usual default
        }
        for (var i = 0; i < 200 && low > 11000; i++)
        {
            var port = Random.Shared.Next(10000, low);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }
        using var any = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        any.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)any.LocalEndPoint!).Port;
    }

    /// <summary>Waits until a server on <paramref name="port"/> greets with a line holding <paramref name="greeting"/>; false when the process ends first or time runs out.</summary>
    private static async Task<bool> WaitForGreetingAsync(int port, string greeting, Process process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (process.HasExited) return false;
            try
            {
                using var client = new TcpClient();
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await client.ConnectAsync(IPAddress.Loopback, port, attempt.Token);
                using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
                var line = await reader.ReadLineAsync(attempt.Token);
                if (line is not null && line.Contains(greeting, StringComparison.Ordinal) && !process.HasExited) return true;
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                // not listening yet
            }
            await Task.Delay(20);
        }
        return false;
    }

    private static Process StartProcess(string file, IEnumerable<string> args, OutputTail output)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => output.Add(e.Data);
        process.ErrorDataReceived += (_, e) => output.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(string file, IEnumerable<string> args, byte[]? input, CancellationToken ct)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        try
        {
            if (input is not null) await process.StandardInput.BaseStream.WriteAsync(input, ct);
        }
        catch (IOException)
        {
            // it stopped reading: its exit code and error say why
        }
        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await output, await error);
    }

    /// <summary>The last lines a process printed, for error messages.</summary>
    private sealed class OutputTail
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public void Add(string? line)
        {
            if (line is null) return;
            _lines.Enqueue(line);
            while (_lines.Count > 200) _lines.TryDequeue(out _);
        }

        public void Clear() => _lines.Clear();

        public override string ToString() => string.Join('\n', _lines);
    }
}
