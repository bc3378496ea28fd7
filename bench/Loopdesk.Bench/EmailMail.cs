using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MimeKit;

namespace Loopdesk.Bench;

/// <summary>One generated message: its raw bytes, its Message-ID, and where it stands in its conversation.</summary>
internal sealed class PlannedMail
{
    public required int Index { get; init; }
    public required byte[] Raw { get; init; }
    /// <summary>Without angle brackets, as a parser reads it.</summary>
    public required string MessageId { get; init; }
    public required int Thread { get; init; }
    /// <summary>The message this one answers (its In-Reply-To); null for a new conversation.</summary>
    public int? Parent { get; init; }
    public required string From { get; init; }
    public bool Html { get; init; }
    public bool Attachment { get; init; }
    public bool Quoted { get; init; }
    public bool Cc { get; init; }

    public bool IsNew => Parent is null;
}

/// <summary>
/// Mail as customers write it to a support address, generated with MimeKit: about seven in ten messages open a new
/// conversation, from many senders with display names (a quarter of them write again later, at most three
/// conversations each, so neither the per-address limit on automatic replies nor the mail-storm rule is reached); the
/// rest answer an earlier message of the set, naming it in In-Reply-To and the conversation in References (one in ten
/// trims References to the parent alone). The shapes follow real clients: Gmail and Outlook send an HTML alternative
/// (Outlook with Thread-Index), Apple Mail and Thunderbird mostly plain text; about one message in ten carries a small
/// attachment (a PDF, a screenshot, a log of 2–8 KB), half the replies quote the message they answer, one in twenty
/// copies a colleague. Every message has the transport headers a receiving MTA adds (Received, Authentication-Results,
/// DKIM-Signature). Deterministic for a seed.
/// </summary>
internal sealed class MailSet
{
    private enum Client { Gmail, Outlook, Apple, Thunderbird }

    private sealed class Person
    {
        public required string First { get; init; }
        public required string Last { get; init; }
        public required string Email { get; init; }
        public required string? Display { get; init; }
        public required Client Client { get; init; }
        public required string Company { get; init; }
        public int Conversations { get; set; }
    }

    private sealed class Conversation
    {
        public required int Number { get; init; }
        public required Person Customer { get; init; }
        public required string Subject { get; init; }
        public List<int> Messages { get; } = [];
        public List<string> Ids { get; } = [];
        public string LastText { get; set; } = "";
        public DateTimeOffset LastDate { get; set; }
    }

    private static readonly string[] PublicDomains = ["gmail.example", "outlook.example", "yahoo.example", "icloud.example", "web.example", "proton.example", "mail.example"];

    private static readonly (string First, string Last)[] AccentedNames =
    [
        ("José", "Muñoz"), ("Zoë", "Ångström"), ("Łukasz", "Wójcik"), ("Søren", "Kierkegård"), ("Chloé", "Lefèvre"), ("Jürgen", "Müller"),
        ("Ioana", "Ștefănescu"), ("Dvořák", "Tomáš"), ("Ελένη", "Παππά"), ("Наталья", "Смирнова"), ("Çağla", "Öztürk"), ("Nuño", "Peña"),
    ];

    private static readonly string[] Greetings = ["Hi,", "Hello,", "Hi there,", "Dear support team,", "Good morning,", "Hello support,"];
    private static readonly string[] SignOffs = ["Thanks,", "Thank you,", "Best regards,", "Kind regards,", "Cheers,", "Many thanks,", "Regards,"];
    private static readonly string[] FollowUps =
    [
        "Any update on this?", "Just checking in on my message below.", "I have not heard back yet, could you have a look?",
        "Sorry, I forgot to add the details.", "It happened again this morning.", "Thanks for the quick answer, that solved part of it.",
        "One more thing:", "I tried what you suggested but it still does not work.",
    ];

    private readonly Corpus _corpus = new();
    private readonly Random _random;
    private readonly string _support;
    private readonly string _supportName;
    private readonly string[] _companies;
    private readonly List<Person> _returning = [];
    private readonly List<Conversation> _conversations = [];
    private readonly FormatOptions _format;
    private int _people;

    public MailSet(int seed, string supportAddress, string supportName)
    {
        _random = new Random(seed);
        _support = supportAddress;
        _supportName = supportName;
        var names = _corpus.Words.Skip(Corpus.CommonCount + Corpus.HelpDeskCount).Take(60).ToArray();
        _companies = names;
        _format = FormatOptions.Default.Clone();
        _format.NewLineFormat = NewLineFormat.Dos;
    }

    public List<PlannedMail> Mails { get; } = [];

    /// <summary>
    /// Adds <paramref name="count"/> messages dated around <paramref name="now"/>; a reply comes at least
    /// <paramref name="gap"/> messages after the one it answers, so that the one answered is usually processed first.
    /// </summary>
    public List<PlannedMail> Generate(int count, int gap, DateTimeOffset now)
    {
        var added = new List<PlannedMail>(count);
        var start = now.AddMinutes(-45);
        for (var k = 0; k < count; k++)
        {
            var index = Mails.Count;
            var date = start.AddMilliseconds(45.0 * 60_000 * k / Math.Max(1, count)).AddSeconds(-_random.Next(0, 30));
            var parent = _random.NextDouble() < 0.30 ? PickConversation(index, gap) : null;
            var mail = parent is null ? NewConversation(index, date) : Reply(index, parent, date);
            Mails.Add(mail);
            added.Add(mail);
        }
        return added;
    }

    private Conversation? PickConversation(int index, int gap)
    {
        // a conversation whose last message is at least gap earlier, at most six messages long; recent ones more likely
        for (var attempt = 0; attempt < 8 && _conversations.Count > 0; attempt++)
        {
            var back = (int)Math.Min(_conversations.Count - 1, Math.Abs(NextGaussian() * Math.Max(50, _conversations.Count / 3.0)));
            var c = _conversations[_conversations.Count - 1 - back];
            if (c.Messages.Count < 6 && c.Messages[^1] <= index - gap) return c;
        }
        return null;
    }

    private PlannedMail NewConversation(int index, DateTimeOffset date)
    {
        Person person;
        var returning = _returning.Count > 0 && _random.NextDouble() < 0.25;
        if (returning)
        {
            var at = _random.Next(_returning.Count);
            person = _returning[at];
            if (person.Conversations >= 2) _returning.RemoveAt(at);
        }
        else
        {
            person = NewPerson();
            _returning.Add(person);
        }
        person.Conversations++;
        var subject = Subject();
        var conversation = new Conversation { Number = _conversations.Count, Customer = person, Subject = subject };
        _conversations.Add(conversation);

        var paragraphs = new List<string>();
        for (var p = _random.Next(1, 4); p > 0; p--) paragraphs.Add(_corpus.Text(_random, _random.Next(15, 70)));
        if (_random.Next(4) == 0) paragraphs.Insert(_random.Next(paragraphs.Count + 1), $"Order number: {_random.Next(100000, 999999)}-{_random.Next(10, 99)}");
        var text = Letter(person, paragraphs);
        return Write(index, person, conversation, subject, text, date, null, quoted: false);
    }

    private PlannedMail Reply(int index, Conversation c, DateTimeOffset date)
    {
        var person = c.Customer;
        if (date <= c.LastDate) date = c.LastDate.AddSeconds(_random.Next(30, 600));
        var paragraphs = new List<string> { FollowUps[_random.Next(FollowUps.Length)] };
        if (_random.Next(3) > 0) paragraphs.Add(_corpus.Text(_random, _random.Next(8, 45)));
        var text = Letter(person, paragraphs);
        var quote = _random.Next(2) == 0;
        var prefix = person.Client == Client.Outlook ? "RE: " : "Re: ";
        return Write(index, person, c, prefix + c.Subject, text, date, c.Messages[^1], quote);
    }

    private string Letter(Person person, List<string> paragraphs)
    {
        var sb = new StringBuilder();
        sb.Append(_random.Next(5) == 0 ? $"Hi {_supportName}," : Greetings[_random.Next(Greetings.Length)]).Append("\n\n");
        foreach (var p in paragraphs) sb.Append(Wrap(p)).Append("\n\n");
        sb.Append(SignOffs[_random.Next(SignOffs.Length)]).Append('\n').Append(_random.Next(3) == 0 ? $"{person.First} {person.Last}" : person.First);
        if (_random.Next(10) < 3)
        {
            sb.Append("\n\n-- \n").Append(person.First).Append(' ').Append(person.Last).Append('\n')
                .Append(char.ToUpperInvariant(person.Company[0])).Append(person.Company, 1, person.Company.Length - 1).Append(" Ltd · +44 20 ")
                .Append(_random.Next(1000, 9999)).Append(' ').Append(_random.Next(1000, 9999));
        }
        if (person.Client == Client.Apple && _random.Next(3) == 0) sb.Append("\n\nSent from my iPhone");
        return sb.ToString();
    }

    private PlannedMail Write(int index, Person person, Conversation c, string subject, string text, DateTimeOffset date, int? parent, bool quoted)
    {
        var m = new MimeMessage();
        m.From.Add(new MailboxAddress(person.Display, person.Email));
        m.To.Add(new MailboxAddress(_supportName, _support));
        var cc = _random.Next(20) == 0;
        if (cc)
        {
            var colleague = NewPerson(person.Email[(person.Email.IndexOf('@', StringComparison.Ordinal) + 1)..]);
            m.Cc.Add(new MailboxAddress(colleague.Display, colleague.Email));
        }
        m.Subject = subject;
        m.Date = date;
        var id = MessageId(person);
        m.MessageId = id;
        if (parent is not null)
        {
            m.InReplyTo = c.Ids[^1];
            if (_random.Next(10) == 0) m.References.Add(c.Ids[^1]);
            else foreach (var x in c.Ids) m.References.Add(x); // at most six messages a conversation
        }

        var plain = text;
        var quoteText = quoted ? Quote(person, c, date) : null;
        if (quoteText is not null) plain = text + "\n\n" + quoteText;
        var builder = new BodyBuilder { TextBody = plain };
        var html = person.Client is Client.Gmail or Client.Outlook || (person.Client == Client.Apple && _random.Next(2) == 0);
        if (html) builder.HtmlBody = Html(person.Client, text, quoteText);
        var attachment = _random.Next(10) == 0;
        if (attachment)
        {
            var (name, type, bytes) = File();
            builder.Attachments.Add(name, bytes, ContentType.Parse(type));
        }
        m.Body = builder.ToMessageBody();
        if (person.Client == Client.Outlook)
        {
            m.Headers.Add("Thread-Topic", c.Subject);
            m.Headers.Add("Thread-Index", Convert.ToBase64String(Bytes(22 + 5 * c.Messages.Count)));
            m.Headers.Add("Accept-Language", "en-GB, en-US");
            m.Headers.Add("X-MS-Has-Attach", attachment ? "yes" : "");
        }
        else if (person.Client == Client.Gmail)
        {
            m.Headers.Add("X-Gm-Message-State", Convert.ToBase64String(Bytes(48)));
        }
        else
        {
            m.Headers.Add("X-Mailer", person.Client == Client.Apple ? "Apple Mail (2.3774.600.62)" : "Mozilla Thunderbird 128.5.0");
        }
        // what the receiving MTA put on top
        var domain = person.Email[(person.Email.IndexOf('@', StringComparison.Ordinal) + 1)..];
        var stamp = date.ToString("ddd, d MMM yyyy HH:mm:ss zz00", CultureInfo.InvariantCulture);
        var transport = new[]
        {
            new Header("Return-Path", $"<{person.Email}>"),
            new Header("Delivered-To", _support),
            new Header("Received", $"from mx1.bench.example by imap.bench.example with LMTP id {Token(16)} (envelope-from <{person.Email}>) for <{_support}>; {stamp}"),
            new Header("Authentication-Results", $"mx1.bench.example; dkim=pass header.d={domain} header.s=s1 header.b={Token(8)}; "
                + $"spf=pass smtp.mailfrom={person.Email}; dmarc=pass (p=none dis=none) header.from={domain}"),
            new Header("Received", $"from mail-{Token(6).ToLowerInvariant()}.{domain} (mail-{Token(6).ToLowerInvariant()}.{domain} [192.0.2.{_random.Next(1, 255)}]) "
                + $"(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)) by mx1.bench.example (Postfix) with ESMTPS id {Token(12)} for <{_support}>; {stamp}"),
            new Header("DKIM-Signature", $"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=s1; t={date.ToUnixTimeSeconds()}; "
                + $"h=from:to:subject:date:message-id:mime-version; bh={Convert.ToBase64String(Bytes(32))}; b={Convert.ToBase64String(Bytes(256))}"),
        };
        for (var i = transport.Length - 1; i >= 0; i--) m.Headers.Insert(0, transport[i]);

        using var buffer = new MemoryStream(4096);
        m.WriteTo(_format, buffer);
        c.Messages.Add(index);
        c.Ids.Add(id);
        c.LastText = text;
        c.LastDate = date;
        return new PlannedMail
        {
            Index = index, Raw = buffer.ToArray(), MessageId = id, Thread = c.Number, Parent = parent, From = person.Email,
            Html = html, Attachment = attachment, Quoted = quoteText is not null, Cc = cc,
        };
    }

    private string Quote(Person person, Conversation c, DateTimeOffset date)
    {
        _ = date;
        var previous = c.LastDate;
        if (person.Client == Client.Outlook)
        {
            return "________________________________\nFrom: " + (person.Display ?? person.Email) + $" <{person.Email}>\n"
                + $"Sent: {previous.ToString("dddd, d MMMM yyyy HH:mm", CultureInfo.InvariantCulture)}\nTo: {_supportName} <{_support}>\nSubject: {c.Subject}\n\n" + c.LastText;
        }
        var quoted = string.Join('\n', c.LastText.Split('\n').Select(l => l.Length == 0 ? ">" : "> " + l));
        return $"On {previous.ToString("ddd, d MMM yyyy", CultureInfo.InvariantCulture)} at {previous:HH:mm}, {person.Display ?? person.Email} <{person.Email}> wrote:\n\n{quoted}";
    }

    private static string Html(Client client, string text, string? quote)
    {
        static string Paragraphs(string t, string open, string close)
            => string.Concat(t.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n").Select(p =>
                open + System.Net.WebUtility.HtmlEncode(p).Replace("\n", "<br>\n", StringComparison.Ordinal) + close + "\n"));
        if (client == Client.Outlook)
        {
            var body = Paragraphs(text, "<p class=\"MsoNormal\"><span lang=\"EN-GB\">", "<o:p></o:p></span></p>\n<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p>");
            var q = quote is null ? "" : "<div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\"><div id=\"divRplyFwdMsg\">"
                + Paragraphs(quote, "<p class=\"MsoNormal\">", "</p>") + "</div></div>";
            return "<html xmlns:o=\"urn:schemas-microsoft-com:office:office\"><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
                + "<style><!-- p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:\"Calibri\",sans-serif;} --></style></head>"
                + "<body lang=\"EN-GB\" link=\"#0563C1\" vlink=\"#954F72\"><div class=\"WordSection1\">\n" + body + q + "</div></body></html>";
        }
        var html = "<div dir=\"ltr\">" + Paragraphs(text, "<div>", "</div><div><br></div>") + "</div>";
        if (quote is not null)
        {
            html += "<br><div class=\"gmail_quote\"><blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex\">"
                + Paragraphs(quote, "", "<br>") + "</blockquote></div>";
        }
        return html;
    }

    private (string Name, string Type, byte[] Bytes) File()
    {
        var size = _random.Next(2048, 8192);
        switch (_random.Next(3))
        {
            case 0:
                var pdf = new byte[size];
                _random.NextBytes(pdf);
                Encoding.ASCII.GetBytes("%PDF-1.4\n%âãÏÓ\n").CopyTo(pdf, 0);
                Encoding.ASCII.GetBytes("\n%%EOF\n").CopyTo(pdf, size - 7);
                return ($"invoice-{_random.Next(10000, 99999)}.pdf", "application/pdf", pdf);
            case 1:
                var png = new byte[size];
                _random.NextBytes(png);
                new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52 }.CopyTo(png, 0);
                return (_random.Next(2) == 0 ? $"IMG_{_random.Next(1000, 9999)}.png" : "screenshot.png", "image/png", png);
            default:
                var log = new StringBuilder();
                while (log.Length < size)
                {
                    log.Append(CultureInfo.InvariantCulture, $"2026-11-{_random.Next(1, 29):00} {_random.Next(0, 24):00}:{_random.Next(0, 60):00}:{_random.Next(0, 60):00} ")
                        .Append(_random.Next(4) == 0 ? "ERROR " : "INFO  ").Append(_corpus.Text(_random, _random.Next(4, 12))).Append('\n');
                }
                return ("error-log.txt", "text/plain", Encoding.UTF8.GetBytes(log.ToString()));
        }
    }

    private Person NewPerson(string? domain = null)
    {
        var number = ++_people;
        string first, last;
        if (_random.Next(20) == 0)
        {
            (first, last) = AccentedNames[_random.Next(AccentedNames.Length)];
        }
        else
        {
            first = Corpus.FirstNames[_random.Next(Corpus.FirstNames.Length)];
            last = Corpus.LastNames[_random.Next(Corpus.LastNames.Length)];
        }
        var company = _companies[_random.Next(_companies.Length)];
        domain ??= _random.Next(10) < 6 ? PublicDomains[_random.Next(PublicDomains.Length)] : $"{company}.example";
        var local = Ascii($"{first}.{last}").ToLowerInvariant();
        var email = $"{local}.{number.ToString(CultureInfo.InvariantCulture)}@{domain}";
        var style = _random.Next(20);
        var display = style switch
        {
            0 => null,
            1 or 2 => $"{last}, {first}",
            _ => $"{first} {last}",
        };
        var client = (_random.Next(100)) switch
        {
            < 35 => Client.Gmail,
            < 60 => Client.Outlook,
            < 80 => Client.Apple,
            _ => Client.Thunderbird,
        };
        return new Person { First = first, Last = last, Email = email, Display = display, Client = client, Company = company };
    }

    private string Subject()
    {
        var s = _corpus.Subject(_random);
        return _random.Next(6) switch
        {
            0 => $"{s} (order {_random.Next(100000, 999999)})",
            1 => $"Question about {s.ToLowerInvariant()}",
            _ => s,
        };
    }

    private string MessageId(Person person) => person.Client switch
    {
        Client.Gmail => $"CA{Token(42)}@mail.gmail.example",
        Client.Outlook => $"{Hex(20)}@{Token(4).ToUpperInvariant()}PR07MB{_random.Next(1000, 9999)}.eurprd07.prod.outlook.example",
        Client.Apple => $"{new Guid(Bytes(16)).ToString().ToUpperInvariant()}@{person.Email[(person.Email.IndexOf('@', StringComparison.Ordinal) + 1)..]}",
        _ => $"{new Guid(Bytes(16))}@{person.Email[(person.Email.IndexOf('@', StringComparison.Ordinal) + 1)..]}",
    };

    private static string Wrap(string paragraph)
    {
        var sb = new StringBuilder(paragraph.Length + 16);
        var line = 0;
        foreach (var word in paragraph.Split(' '))
        {
            if (line > 0 && line + 1 + word.Length > 76)
            {
                sb.Append('\n');
                line = 0;
            }
            else if (line > 0)
            {
                sb.Append(' ');
                line++;
            }
            sb.Append(word);
            line += word.Length;
        }
        return sb.ToString();
    }

    private static string Ascii(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s.Normalize(NormalizationForm.FormD))
        {
            if (ch is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or '.') sb.Append(ch);
        }
        return sb.Length > 1 ? sb.ToString() : "customer";
    }

    private byte[] Bytes(int n)
    {
        var b = new byte[n];
        _random.NextBytes(b);
        return b;
    }

    private string Token(int n)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        var c = new char[n];
        for (var i = 0; i < n; i++) c[i] = alphabet[_random.Next(alphabet.Length)];
        return new string(c);
    }

    private string Hex(int bytes) => Convert.ToHexString(Bytes(bytes));

    private double NextGaussian()
    {
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A random secret for the run (the mailbox's inbound secret, the IMAP password).</summary>
    public static string Secret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
