using System.Text;
using System.Text.RegularExpressions;

namespace Loopdesk.Core.Email;

/// <summary>
/// What a help desk reads in the text of an email: the new words, with the quoted history and the signature folded
/// away (kept, not lost), the ticket reference in a subject, a first name in a display name, a safe file name.
/// </summary>
public static partial class MailText
{
    /// <summary>Splits a plain-text body into what is new and what it quotes or signs with (null when nothing is folded).</summary>
    public static (string New, string? Folded) Fold(string text)
    {
        var normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        var lines = normalized.Split('\n');
        var cut = lines.Length;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd();
            // what follows a forward marker is the forwarded message itself, kept as the content
            if (ForwardMarker().IsMatch(line)) break;
            if (line is "-- " or "--" && i > 0) { cut = i; break; }
            if (SentFrom().IsMatch(line)) { cut = i; break; }
            if (OriginalMessage().IsMatch(line)) { cut = i; break; }
            if (Wrote(line, lines, i)) { cut = i; break; }
            if (OutlookHeaderBlock(lines, i)) { cut = i; break; }
            // a run of quoted lines to the end (interleaved answers keep their quotes)
            if (line.StartsWith('>') && lines.Skip(i).All(l => l.TrimEnd().Length == 0 || l.TrimStart().StartsWith('>'))) { cut = i; break; }
        }
        if (cut >= lines.Length) return (normalized.Trim(), null);
        var kept = string.Join('\n', lines[..cut]).Trim();
        var folded = string.Join('\n', lines[cut..]).Trim();
        // nothing new at all (a bare forward of a quote): keep everything as the message
        if (kept.Length == 0) return (normalized.Trim(), null);
        return (kept, folded.Length == 0 ? null : folded);
    }

    private static bool Wrote(string line, string[] lines, int i)
        // Gmail wraps a long attribution over two lines: "On Mon, 3 Nov 2026 at 10:02, Anna Berg <\nanna@example.org> wrote:"
        => WroteLine().IsMatch(line) || (i + 1 < lines.Length && OnLine().IsMatch(line) && WroteLine().IsMatch(line + " " + lines[i + 1].Trim()));

    private static bool OutlookHeaderBlock(string[] lines, int i)
    {
        // "From: …" followed within four lines by "Sent:"/"Date:" and "Subject:" (Outlook's reply header, in several languages)
        if (!OutlookFrom().IsMatch(lines[i].Trim())) return false;
        var window = lines.Skip(i + 1).Take(5).Select(l => l.Trim()).ToList();
        return window.Any(l => OutlookSent().IsMatch(l)) && window.Any(l => OutlookSubject().IsMatch(l));
    }

    [GeneratedRegex(@"^\s*(-{3,}\s*(Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado|Doorgestuurd bericht)\s*-{3,}|Begin forwarded message:)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ForwardMarker();

    [GeneratedRegex(@"^(On|Am|Le|El|Il|Op|Em|Den|På)\s.{4,300}\s(wrote|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|skrev)\s?:$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex WroteLine();

    [GeneratedRegex(@"^(On|Am|Le|El|Il|Op|Em|Den|På)\s", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OnLine();

    [GeneratedRegex(@"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|Oorspronkelijk bericht)\s*-{2,}\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OriginalMessage();

    [GeneratedRegex(@"^\*?(From|Von|De|Van|Från|Da)\s?:\*?\s", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OutlookFrom();

    [GeneratedRegex(@"^\*?(Sent|Date|Gesendet|Envoyé|Enviado|Verzonden|Skickat|Inviato)\s?:\*?\s", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OutlookSent();

    [GeneratedRegex(@"^\*?(Subject|Betreff|Objet|Asunto|Onderwerp|Ämne|Oggetto)\s?:\*?", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex OutlookSubject();

    [GeneratedRegex(@"^(Sent from my |Sent from Mail for |Get Outlook for |Sent from Outlook for |Von meinem .* gesendet|Envoyé de mon )", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SentFrom();

    /// <summary>The ticket reference a subject carries as <c>[#ABCD-2345]</c>, or null.</summary>
    public static string? ReferenceIn(string? subject)
    {
        if (string.IsNullOrEmpty(subject)) return null;
        foreach (Match m in ReferenceToken().Matches(subject))
        {
            if (Tickets.TicketReference.Parse(m.Groups[1].Value) is { } reference) return reference;
        }
        return null;
    }

    /// <summary>The subject of a reply: "Re: " once, the subject without reply or forward prefixes, and the reference token.</summary>
    public static string ReplySubject(string subject, string reference)
    {
        var bare = ReferenceToken().Replace(StripPrefixes(subject), "").Trim();
        if (bare.Length == 0) bare = "Your request";
        return $"Re: {bare} [#{reference}]";
    }

    /// <summary>The subject without "Re:", "Fwd:", "AW:", "SV:" and the like in front.</summary>
    public static string StripPrefixes(string subject)
    {
        var s = subject.Trim();
        while (ReplyPrefix().Match(s) is { Success: true } m) s = s[m.Length..].TrimStart();
        return s;
    }

    /// <summary>Whether a subject says the message is a forward.</summary>
    public static bool IsForward(string? subject) => subject is not null && ForwardPrefix().IsMatch(subject.Trim());

    [GeneratedRegex(@"\[#\s*([A-Za-z0-9]{4}-?[A-Za-z0-9]{4})\s*\]", RegexOptions.CultureInvariant)]
    private static partial Regex ReferenceToken();

    [GeneratedRegex(@"^((re|fwd?|aw|wg|sv|vs|antw|tr|rif|enc|r)(\[\d+\])?\s?:)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ReplyPrefix();

    [GeneratedRegex(@"^(fwd?|wg|tr|enc|rv)\s?:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ForwardPrefix();

    /// <summary>
    /// The name a greeting uses: the first word of a display name ("Anna Berg" → "Anna", "Berg, Anna" → "Anna"); null
    /// when there is no usable name (none, an address, no letters, or just the address's local part).
    /// </summary>
    public static string? FirstName(string? displayName, string? address = null)
    {
        if (string.IsNullOrWhiteSpace(displayName)) return null;
        var name = displayName.Trim().Trim('"', '\'', ' ').Trim();
        if (name.Contains('@', StringComparison.Ordinal) || !name.Any(char.IsLetter)) return null;
        if (address is not null && address.IndexOf('@', StringComparison.Ordinal) is var at and > 0
            && string.Equals(name, address[..at], StringComparison.OrdinalIgnoreCase)) return null;
        var comma = name.IndexOf(',', StringComparison.Ordinal);
        if (comma > 0 && comma < name.Length - 1) name = name[(comma + 1)..].Trim();
        var first = name.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(w => w.Any(char.IsLetter));
        if (first is null) return null;
        first = first.Trim('(', ')', '.', ',');
        return first.Length == 0 ? null : first;
    }

    /// <summary>
    /// A file name safe to show and store: the last path segment, without control and bidirectional-override characters,
    /// trimmed of spaces and dots, at most 200 characters; "attachment" when nothing is left.
    /// </summary>
    public static string SafeFileName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "attachment";
        var last = name.Replace('\\', '/');
        var slash = last.LastIndexOf('/');
        if (slash >= 0) last = last[(slash + 1)..];
        var sb = new StringBuilder(last.Length);
        foreach (var c in last)
        {
            if (char.IsControl(c) || IsBidiControl(c)) continue;
            sb.Append(c);
        }
        var clean = sb.ToString().Trim().Trim('.', ' ').Trim();
        if (clean.Length > 200) clean = clean[..200];
        return clean.Length == 0 ? "attachment" : clean;
    }

    private static bool IsBidiControl(char c) => c is '\u200E' or '\u200F' or '\u061C' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    /// <summary>
    /// Why a message was written by a machine, or null for a person's mail (RFC 3834 and common practice): an
    /// Auto-Submitted value, an X-Autoreply header, bulk or list precedence, a list id, or a mailer-daemon sender.
    /// </summary>
    public static string? Automatic(Func<string, string?> header, string? fromAddress)
    {
        var submitted = header("Auto-Submitted")?.Trim().ToLowerInvariant();
        if (!string.IsNullOrEmpty(submitted) && !submitted.StartsWith("no", StringComparison.Ordinal))
            return submitted.StartsWith("auto-replied", StringComparison.Ordinal) ? "auto-replied" : "auto-generated";
        if (!string.IsNullOrEmpty(header("X-Autoreply")) || !string.IsNullOrEmpty(header("X-Autorespond")) || !string.IsNullOrEmpty(header("X-Autoresponse")))
            return "autoreply-header";
        var precedence = header("Precedence")?.Trim().ToLowerInvariant();
        if (precedence is "bulk" or "junk") return "bulk";
        if (precedence == "list" || !string.IsNullOrEmpty(header("List-Id"))) return "list";
        var local = fromAddress is { } f && f.IndexOf('@', StringComparison.Ordinal) is var at and > 0 ? f[..at].ToLowerInvariant() : null;
        if (local is "mailer-daemon" or "postmaster" or "mail-daemon") return "mailer-daemon";
        return null;
    }
}
