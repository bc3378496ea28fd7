using Loopdesk.Core.Common;

namespace Loopdesk.Core.Templates;

/// <summary>
/// Words kept for reuse, in one language: what a built-in rule says (its key is the rule's, like
/// <c>close-the-loop.acknowledgement</c>), or a macro an agent inserts. Placeholders are checked when it is saved.
/// </summary>
public sealed class MessageTemplate
{
    public const int KeyMaxLength = 100;
    public const int NameMaxLength = 200;
    public const int BodyMaxLength = 20_000;

    private MessageTemplate() { }

    public MessageTemplate(string key, string language, string name, string body, DateTimeOffset now)
    {
        Id = Ids.New(now);
        Key = key;
        Language = language;
        Name = name.Trim();
        Body = body;
        CreatedAt = now;
        UpdatedAt = now;
        Version = 1;
    }

    public Guid Id { get; private set; }
    public string Key { get; private set; } = "";
    /// <summary>A language tag's primary part: en, nl, de…</summary>
    public string Language { get; private set; } = "en";
    public string Name { get; private set; } = "";
    public string Body { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public int Version { get; private set; }

    public string ETag => $"\"v{Version}\"";

    public void Update(string? name, string? body, DateTimeOffset now)
    {
        if (name is not null) Name = name.Trim();
        if (body is not null) Body = body;
        UpdatedAt = now;
        Version++;
    }
}
