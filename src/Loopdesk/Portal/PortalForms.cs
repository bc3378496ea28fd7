using Loopdesk.Core.Email;
using Loopdesk.Core.Tickets;
using Loopdesk.Platform;
using Loopdesk.Tickets;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;

namespace Loopdesk.Portal;

/// <summary>
/// Spam protection for the portal's public forms, with no third-party captcha: a hidden field people never fill (the
/// honeypot), a timestamp the server signed when it showed the form (sent back too soon means a bot; too old means a
/// replayed form), and, in front of every form post, a per-address rate limit (see <see cref="PortalSetup"/>).
/// </summary>
public sealed class FormGuard(IDataProtectionProvider protection, TimeProvider clock, IOptions<PortalOptions> options)
{
    public const string HoneypotField = "website";
    public const string StampField = "formStamp";

    private readonly IDataProtector _protector = protection.CreateProtector("Loopdesk.Portal.FormStamp");

    /// <summary>A signed stamp of now, to put in the form.</summary>
    public string Stamp() => _protector.Protect(clock.GetUtcNow().ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Null when the post looks like a person's; else why it is refused (for the log, not for the page).</summary>
    public string? Check(string? honeypot, string? stamp)
    {
        if (!string.IsNullOrEmpty(honeypot)) return "honeypot";
        if (string.IsNullOrEmpty(stamp)) return "stamp.missing";
        long issued;
        try
        {
            issued = long.Parse(_protector.Unprotect(stamp), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FormatException)
        {
            return "stamp.invalid";
        }
        var age = clock.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(issued);
        if (age < TimeSpan.FromSeconds(options.Value.MinSecondsToFillForm)) return "stamp.too_fast";
        if (age > TimeSpan.FromSeconds(options.Value.MaxFormAgeSeconds)) return "stamp.too_old";
        return null;
    }
}

/// <summary>
/// Files customers attach on the portal, held to the same limits as files that come by email (Loopdesk:Email
/// MaxAttachmentBytes a file, MaxAttachmentBytesPerMessage a message) and refused when their type can run code.
/// </summary>
public sealed class PortalFiles(FileStore files, IOptions<LoopdeskOptions> loopdesk, IOptions<PortalOptions> portal)
{
    /// <summary>Types that run code when opened, or carry script into a browser.</summary>
    public static readonly HashSet<string> DangerousExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".msc", ".dll", ".cpl", ".jar", ".js", ".jse", ".vbs", ".vbe", ".wsf",
        ".wsh", ".ps1", ".psm1", ".hta", ".html", ".htm", ".xhtml", ".svg", ".lnk", ".reg", ".sh", ".app", ".apk", ".iso", ".img", ".docm",
        ".xlsm", ".pptm", ".application", ".gadget", ".scf", ".inf",
    };

    private static readonly HashSet<string> DangerousTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "application/x-msdownload", "application/x-msdos-program", "application/x-sh", "application/javascript", "text/javascript",
        "text/html", "application/xhtml+xml", "image/svg+xml", "application/hta", "application/x-ms-installer",
    };

    public long MaxFileBytes => loopdesk.Value.Email.MaxAttachmentBytes;

    public long MaxTotalBytes => loopdesk.Value.Email.MaxAttachmentBytesPerMessage;

    /// <summary>Why the files cannot be taken (a sentence for the customer), or null when they can.</summary>
    public string? Problem(IReadOnlyList<IFormFile> uploads)
    {
        var real = uploads.Where(f => f.Length > 0 || !string.IsNullOrEmpty(f.FileName)).ToList();
        if (real.Count > portal.Value.MaxFilesPerMessage) return $"Attach at most {portal.Value.MaxFilesPerMessage} files.";
        foreach (var file in real)
        {
            var name = MailText.SafeFileName(file.FileName);
            if (DangerousExtensions.Contains(Path.GetExtension(name)) || DangerousTypes.Contains(file.ContentType ?? ""))
                return $"{name}: files of this type can run programs and are not accepted. Put it in a .zip file or send a screenshot instead.";
            if (file.Length > MaxFileBytes) return $"{name} is larger than {Megabytes(MaxFileBytes)}, the largest file we take.";
        }
        if (real.Sum(f => f.Length) > MaxTotalBytes) return $"The files come to more than {Megabytes(MaxTotalBytes)}, the most one message may carry.";
        return null;
    }

    /// <summary>Stores files that passed <see cref="Problem"/>; returns them as attachments.</summary>
    public async Task<List<Attachment>> StoreAsync(IReadOnlyList<IFormFile> uploads, CancellationToken ct)
    {
        var kept = new List<Attachment>();
        foreach (var file in uploads.Where(f => f.Length > 0))
        {
            using var copy = new MemoryStream();
            await file.CopyToAsync(copy, ct);
            var key = await files.PutAsync(copy.ToArray(), ct);
            var type = string.IsNullOrWhiteSpace(file.ContentType) ? "application/octet-stream" : file.ContentType.ToLowerInvariant();
            kept.Add(new Attachment(MailText.SafeFileName(file.FileName), type.Length > 100 ? "application/octet-stream" : type, file.Length, key));
        }
        return kept;
    }

    public static string Megabytes(long bytes) => $"{bytes / (1024.0 * 1024.0):0.#} MB";
}
