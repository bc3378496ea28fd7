using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using Loopdesk.Core.Email;
using MimeKit;
using MimeKit.Text;
using MimeKit.Tnef;

namespace Loopdesk.Email;

/// <summary>An attachment as it came: its bytes only when within the size limit.</summary>
public sealed record MailFile(string Name, string ContentType, long Size, byte[]? Content, bool Inline, string? ContentId);

/// <summary>A delivery status notification about a message we sent.</summary>
public sealed record MailBounce(string? OriginalMessageId, string Action, string? Status, string? Diagnostic, string? Recipient);

/// <summary>The original sender of a forwarded message.</summary>
public sealed record ForwardedSender(string Email, string? Name);

/// <summary>What Loopdesk reads in one email.</summary>
public sealed record ParsedMail(
    string? MessageId,
    IReadOnlyList<string> ThreadIds,
    string? From,
    string? FromName,
    IReadOnlyList<string> To,
    IReadOnlyList<string> Cc,
    string Subject,
    DateTimeOffset? Date,
    string Text,
    string? Folded,
    string FullText,
    string? Html,
    IReadOnlyList<MailFile> Attachments,
    string? Automatic,
    MailBounce? Bounce,
    ForwardedSender? ForwardedFrom,
    bool AuthenticationFailed)
{
    public string? FirstName => MailText.FirstName(FromName, From);
}

/// <summary>
/// Reads raw RFC 5322 mail with MimeKit: headers (RFC 2047/2231), text and HTML bodies in any charset and transfer
/// encoding, format=flowed, attachments (TNEF winmail.dat opened up, calendar invites kept as .ics), bounces (RFC 3464),
/// machine-written mail, forwards. Nesting is bounded; a message MimeKit cannot read at all throws <see cref="FormatException"/>.
/// </summary>
public static partial class MailParser
{
    public const int MaxDepth = 64;

    // the legacy charsets mail still arrives in (GB2312, Shift_JIS, ISO-2022-JP, KOI8-R, Windows-125x) come from the
    // code pages provider, registered as the host starts (LoopdeskHost.CreateBuilder)

    public static ParsedMail Parse(byte[] raw, long maxFileBytes)
    {
        MimeMessage message;
        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            var options = new ParserOptions { MaxMimeDepth = MaxDepth, CharsetEncoding = Encoding.Latin1 };
            message = MimeMessage.Load(options, stream);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            throw new FormatException($"The message cannot be read as MIME: {e.Message}", e);
        }
        if (message.Headers.Count == 0) throw new FormatException("The message has no headers.");

        var from = message.From.Mailboxes.FirstOrDefault() ?? message.Sender;
        var fromAddress = Address(from);
        var header = (string name) => message.Headers[name];
        var bounce = ReadBounce(message);

        var files = new List<MailFile>();
        string? text = null, html = null;
        var bodyParts = new HashSet<MimeEntity>();
        var textPart = FindBody(message.Body, "plain", 0);
        var htmlPart = FindBody(message.Body, "html", 0);
        if (textPart is not null) { text = ReadText(textPart); bodyParts.Add(textPart); }
        if (htmlPart is not null) { html = htmlPart.Text; bodyParts.Add(htmlPart); }

        var referencedIds = html is null ? [] : CidReference().Matches(html).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Walk(message.Body, null, 0, (entity, parent) =>
        {
            if (bodyParts.Contains(entity)) return;
            // an invite offered as an alternative body is the same event as the .ics attached beside it
            if (parent?.ContentType.IsMimeType("multipart", "alternative") == true && entity.ContentType.IsMimeType("text", "calendar")) return;
            switch (entity)
            {
                case TnefPart tnef:
                    ReadTnef(tnef, files, maxFileBytes, ref text);
                    return;
                case MessagePart inner when bounce is not null && inner.ContentType.IsMimeType("message", "delivery-status"):
                    return;
                case MimePart part when bounce is not null && (part.ContentType.IsMimeType("message", "delivery-status") || part.ContentType.IsMimeType("text", "rfc822-headers")):
                    return;
                case MessagePart inner:
                    files.Add(File(SafeName(inner.ContentDisposition?.FileName ?? inner.ContentType.Name, inner.Message?.Subject, ".eml"), "message/rfc822", ToBytes(inner), maxFileBytes, false, null));
                    return;
                case TextPart t when text is null && !t.IsAttachment && t.IsPlain:
                    text = ReadText(t);
                    return;
                case MimePart part:
                    var contentId = part.ContentId;
                    var inline = contentId is not null && referencedIds.Contains(contentId);
                    var name = part.FileName;
                    if (string.IsNullOrWhiteSpace(name) && part.ContentType.IsMimeType("text", "calendar")) name = "invite.ics";
                    files.Add(File(MailText.SafeFileName(name ?? DefaultName(part.ContentType)), part.ContentType.MimeType.ToLowerInvariant(), Decode(part), maxFileBytes, inline, contentId));
                    return;
            }
        });

        if (text is null && html is not null) text = HtmlToText(html);
        text ??= "";
        var (newText, folded) = MailText.Fold(text);
        var forwarded = ReadForward(message, text);
        return new ParsedMail(
            MessageId: Clean(message.MessageId),
            ThreadIds: [.. message.References.Select(Clean).Prepend(Clean(message.InReplyTo)).OfType<string>().Distinct(StringComparer.Ordinal)],
            From: fromAddress,
            FromName: string.IsNullOrWhiteSpace(from?.Name) ? null : from.Name.Trim(),
            To: Addresses(message.To),
            Cc: Addresses(message.Cc),
            Subject: (message.Subject ?? "").Trim(),
            Date: message.Headers.Contains(HeaderId.Date) ? message.Date : null,
            Text: newText,
            Folded: folded,
            FullText: text.Trim(),
            Html: html,
            Attachments: files,
            Automatic: MailText.Automatic(header, fromAddress),
            Bounce: bounce,
            ForwardedFrom: forwarded,
            AuthenticationFailed: AuthenticationFails(message));
    }

    private static string? Address(MailboxAddress? mailbox)
    {
        var address = mailbox?.Address?.Trim();
        return string.IsNullOrEmpty(address) ? null : address.ToLowerInvariant();
    }

    private static List<string> Addresses(InternetAddressList list)
        => [.. list.Mailboxes.Select(Address).OfType<string>().Distinct(StringComparer.Ordinal)];

    private static string? Clean(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return null;
        var s = id.Trim().Trim('<', '>').Trim();
        return s.Length is 0 or > 900 ? null : s;
    }

    private static TextPart? FindBody(MimeEntity? entity, string subtype, int depth)
    {
        if (entity is null || depth > MaxDepth) return null;
        switch (entity)
        {
            case Multipart multipart:
                // in an alternative the last part is the preferred one; elsewhere the first body that is not an attachment
                var parts = multipart.ContentType.IsMimeType("multipart", "alternative") ? multipart.Reverse() : multipart.AsEnumerable();
                foreach (var part in parts)
                {
                    if (part is MessagePart) continue;
                    if (FindBody(part, subtype, depth + 1) is { } found) return found;
                    // a multipart/mixed: the body is in the first part; attachments follow
                    if (!multipart.ContentType.IsMimeType("multipart", "alternative") && part is TextPart { IsAttachment: false } && subtype == "plain") break;
                }
                return null;
            case TextPart text when !text.IsAttachment && text.ContentType.IsMimeType("text", subtype):
                return text;
            default:
                return null;
        }
    }

    private static void Walk(MimeEntity? entity, Multipart? parent, int depth, Action<MimeEntity, Multipart?> visit)
    {
        if (entity is null || depth > MaxDepth) return;
        if (entity is Multipart multipart)
        {
            foreach (var part in multipart) Walk(part, multipart, depth + 1, visit);
            return;
        }
        visit(entity, parent);
    }

    private static string ReadText(TextPart part)
    {
        var text = part.Text ?? "";
        if (part.ContentType.Parameters["format"] is { } format && string.Equals(format, "flowed", StringComparison.OrdinalIgnoreCase))
        {
            var delsp = part.ContentType.Parameters["delsp"] is { } d && string.Equals(d, "yes", StringComparison.OrdinalIgnoreCase);
            text = new FlowedToText { DeleteSpace = delsp }.Convert(text);
        }
        return text;
    }

    private static void ReadTnef(TnefPart tnef, List<MailFile> files, long maxFileBytes, ref string? text)
    {
        MimeMessage inner;
        try
        {
            inner = tnef.ConvertToMessage();
        }
        catch (Exception e) when (e is TnefException or FormatException or InvalidOperationException or ArgumentException)
        {
            files.Add(File("winmail.dat", "application/ms-tnef", Decode(tnef), maxFileBytes, false, null));
            return;
        }
        if (text is null && inner.TextBody is { Length: > 0 } body) text = body;
        foreach (var part in inner.Attachments.OfType<MimePart>())
        {
            files.Add(File(MailText.SafeFileName(part.FileName ?? DefaultName(part.ContentType)), part.ContentType.MimeType.ToLowerInvariant(), Decode(part), maxFileBytes, false, null));
        }
    }

    private static byte[] Decode(MimePart part)
    {
        if (part.Content is null) return [];
        using var stream = new MemoryStream();
        part.Content.DecodeTo(stream);
        return stream.ToArray();
    }

    private static byte[] ToBytes(MessagePart part)
    {
        using var stream = new MemoryStream();
        part.Message?.WriteTo(stream);
        return stream.ToArray();
    }

    private static MailFile File(string name, string declared, byte[] bytes, long maxFileBytes, bool inline, string? contentId)
    {
        var type = FileSniffer.Sniff(bytes, declared);
        return new MailFile(name, type, bytes.LongLength, bytes.LongLength > maxFileBytes ? null : bytes, inline, contentId);
    }

    private static string SafeName(string? name, string? subject, string extension)
    {
        if (!string.IsNullOrWhiteSpace(name)) return MailText.SafeFileName(name);
        var s = MailText.SafeFileName(string.IsNullOrWhiteSpace(subject) ? "message" : subject);
        return s.Length > 60 ? s[..60] + extension : s + extension;
    }

    private static string DefaultName(ContentType type) => type.MediaSubtype.ToLowerInvariant() switch
    {
        "calendar" => "invite.ics",
        "pdf" => "attachment.pdf",
        "png" => "image.png",
        "jpeg" or "jpg" => "image.jpg",
        "gif" => "image.gif",
        _ => "attachment",
    };

    private static MailBounce? ReadBounce(MimeMessage message)
    {
        if (message.Body is not MultipartReport report || !string.Equals(report.ReportType, "delivery-status", StringComparison.OrdinalIgnoreCase)) return null;
        var status = report.OfType<MessageDeliveryStatus>().FirstOrDefault();
        string? action = null, code = null, diagnostic = null, recipient = null;
        if (status is not null)
        {
            foreach (var group in status.StatusGroups.Skip(1))
            {
                action ??= group["Action"]?.Trim().ToLowerInvariant();
                code ??= group["Status"]?.Trim();
                diagnostic ??= group["Diagnostic-Code"]?.Trim();
                recipient ??= group["Final-Recipient"]?.Trim();
            }
        }
        string? original = null;
        foreach (var part in report)
        {
            if (part is MessagePart { Message: { } m } && !part.ContentType.IsMimeType("message", "delivery-status")) original ??= Clean(m.MessageId);
            else if (part is TextPart headers && headers.ContentType.IsMimeType("text", "rfc822-headers"))
            {
                using var stream = new MemoryStream(Encoding.UTF8.GetBytes(headers.Text + "\r\n\r\n"));
                try
                {
                    original ??= Clean(HeaderList.Load(stream)[HeaderId.MessageId]);
                }
                catch (FormatException) { }
            }
        }
        original ??= Clean(message.InReplyTo) ?? message.References.Select(Clean).LastOrDefault();
        if (recipient is { } r && r.IndexOf(';', StringComparison.Ordinal) is var semi and >= 0) recipient = r[(semi + 1)..].Trim();
        return new MailBounce(original, action ?? "failed", code, diagnostic, recipient);
    }

    private static ForwardedSender? ReadForward(MimeMessage message, string text)
    {
        // forwarded as an attachment: the inner message's sender
        if (message.Attachments.OfType<MessagePart>().FirstOrDefault()?.Message?.From.Mailboxes.FirstOrDefault() is { } attached && Address(attached) is { } a)
            return new ForwardedSender(a, string.IsNullOrWhiteSpace(attached.Name) ? null : attached.Name);
        if (!MailText.IsForward(message.Subject) && !ForwardMarker().IsMatch(text)) return null;
        // forwarded inline: the first "From:" line after the forward marker
        var marker = ForwardMarker().Match(text);
        var rest = marker.Success ? text[marker.Index..] : text;
        var line = ForwardedFrom().Match(rest);
        if (!line.Success) return null;
        var value = line.Groups[1].Value.Trim().Trim('*').Trim();
        if (!MailboxAddress.TryParse(value, out var parsed) || Address(parsed) is not { } email) return null;
        return new ForwardedSender(email, string.IsNullOrWhiteSpace(parsed.Name) ? null : parsed.Name);
    }

    private static bool AuthenticationFails(MimeMessage message)
    {
        foreach (var h in message.Headers.Where(h => h.Id == HeaderId.AuthenticationResults))
        {
            var v = h.Value.ToLowerInvariant();
            if (v.Contains("dmarc=fail", StringComparison.Ordinal) || (v.Contains("spf=fail", StringComparison.Ordinal) && !v.Contains("dkim=pass", StringComparison.Ordinal))) return true;
        }
        return false;
    }

    /// <summary>The visible text of an HTML body, with line breaks where blocks end.</summary>
    public static string HtmlToText(string html)
    {
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(html);
        var sb = new StringBuilder();
        Append(document.Body ?? (INode)document.DocumentElement, sb);
        return MultipleBlankLines().Replace(sb.ToString(), "\n\n").Trim();
    }

    private static void Append(INode node, StringBuilder sb)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText t:
                    sb.Append(Whitespace().Replace(t.Data, " "));
                    break;
                case IElement e:
                    var tag = e.LocalName;
                    if (tag is "script" or "style" or "head" or "title") break;
                    if (tag == "br") { sb.Append('\n'); break; }
                    var block = tag is "p" or "div" or "li" or "tr" or "h1" or "h2" or "h3" or "h4" or "h5" or "h6" or "blockquote" or "table" or "ul" or "ol" or "pre" or "hr";
                    if (block && sb.Length > 0 && sb[^1] != '\n') sb.Append('\n');
                    Append(e, sb);
                    if (block) sb.Append('\n');
                    break;
            }
        }
    }

    [GeneratedRegex(@"cid:([^""'\s>)]+)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CidReference();

    [GeneratedRegex(@"-{3,}\s*(Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Doorgestuurd bericht)\s*-{3,}|^Begin forwarded message:", RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex ForwardMarker();

    [GeneratedRegex(@"^\s*\*?(?:From|Von|De|Van|Från)\s?:\*?\s*(.+)$", RegexOptions.IgnoreCase | RegexOptions.Multiline | RegexOptions.CultureInvariant)]
    private static partial Regex ForwardedFrom();

    [GeneratedRegex(@"[ \t\r\n\u00A0]+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\n[ \t]*(\n[ \t]*){2,}")]
    private static partial Regex MultipleBlankLines();
}

/// <summary>Tells a file's type from its first bytes, so a declared type cannot smuggle HTML or SVG.</summary>
public static class FileSniffer
{
    public static string Sniff(ReadOnlySpan<byte> bytes, string declared)
    {
        if (bytes.StartsWith("%PDF"u8)) return "application/pdf";
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47])) return "image/png";
        if (bytes.StartsWith("GIF8"u8)) return "image/gif";
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF])) return "image/jpeg";
        if (bytes.Length > 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8)) return "image/webp";
        if (bytes.StartsWith("PK\u0003\u0004"u8)) return declared.Contains("officedocument", StringComparison.Ordinal) || declared.Contains("opendocument", StringComparison.Ordinal) ? declared : "application/zip";
        var head = Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 512)]).TrimStart('\uFEFF', ' ', '\t', '\r', '\n').ToLowerInvariant();
        if (head.Contains("<svg", StringComparison.Ordinal)) return "image/svg+xml";
        if (head.StartsWith("<!doctype html", StringComparison.Ordinal) || head.StartsWith("<html", StringComparison.Ordinal) || head.Contains("<script", StringComparison.Ordinal)) return "text/html";
        if (head.StartsWith("<?xml", StringComparison.Ordinal)) return "application/xml";
        return string.IsNullOrWhiteSpace(declared) ? "application/octet-stream" : declared;
    }

    /// <summary>Types a browser may show in the page; everything else is only ever downloaded.</summary>
    public static bool SafeInline(string contentType) => contentType is "image/png" or "image/jpeg" or "image/gif" or "image/webp" or "application/pdf" or "text/plain";
}
