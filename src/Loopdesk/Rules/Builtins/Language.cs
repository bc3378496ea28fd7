namespace Loopdesk.Rules.Builtins;

/// <summary>
/// Replies are checked against the lexicon before they are sent (banned phrases, sales pitches, probing questions before
/// an apology); a reply with findings goes out only with an explicit override, which is recorded with the message.
/// The check itself runs where replies are written (the API and the workspace); this row switches it.
/// </summary>
public sealed class Language : BuiltinRule
{
    public override string Key => "language";
    public override string Name => "Language";
    public override string Description => "Check replies against the lexicon before sending; sending with findings needs an explicit, recorded override.";
    public override int Position => 80;
    public override IReadOnlyList<string> Events { get; } = [];
    public override IReadOnlyDictionary<string, SettingSpec> Settings { get; } = new Dictionary<string, SettingSpec>
    {
        ["requireOverride"] = new(SettingKind.Flag, true, "Refuse a reply with findings unless it says lexiconOverride: true."),
    };

    public override Task OnEventAsync(RuleContext c, CancellationToken ct) => Task.CompletedTask;

}
