using Ganss.Xss;

namespace Loopdesk.Tickets;

/// <summary>Sanitizes message HTML once, when it is stored, so no view can show a script that came in.</summary>
public sealed class HtmlCleaner
{
    private readonly HtmlSanitizer _sanitizer;

    public HtmlCleaner()
    {
        _sanitizer = new HtmlSanitizer();
        _sanitizer.AllowedSchemes.Add("mailto");
        _sanitizer.AllowedSchemes.Add("tel");
        _sanitizer.AllowedAttributes.Remove("style");
        _sanitizer.AllowedTags.Remove("form");
        _sanitizer.AllowedTags.Remove("input");
        _sanitizer.AllowedTags.Remove("button");
        _sanitizer.AllowedTags.Remove("textarea");
        _sanitizer.AllowedTags.Remove("select");
    }

    public string? Clean(string? html) => string.IsNullOrWhiteSpace(html) ? null : _sanitizer.Sanitize(html);
}
