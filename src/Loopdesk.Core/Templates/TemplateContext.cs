namespace Loopdesk.Core.Templates;

/// <summary>
/// Who reads a rendered template and when: <paramref name="Now"/> for phrases like "today by 15:00",
/// the reader's language (a tag such as "en" or "nl-BE") and IANA time zone, and whether the output is HTML
/// (values are then HTML-encoded; the template's own text is written as is).
/// </summary>
public sealed record TemplateContext(DateTimeOffset Now, string Language = "en", string TimeZoneId = "UTC", bool Html = false);
