namespace Loopdesk.Portal;

/// <summary>The "Loopdesk:Portal" settings: the brand customers see, the channels offered, and the limits of the forms.</summary>
public sealed class PortalOptions
{
    public const string Section = "Loopdesk:Portal";

    /// <summary>The brand's name in the portal's header and titles. Default "Customer Service".</summary>
    public string BrandName { get; set; } = "Customer Service";

    /// <summary>An absolute https URL or a site path of the logo shown beside the name; none by default.</summary>
    public string? LogoUrl { get; set; }

    /// <summary>The brand's main colour (links, buttons, header), a #rrggbb value. Default #1d4ed8.</summary>
    public string PrimaryColor { get; set; } = "#1d4ed8";

    /// <summary>The header's background, a #rrggbb value. Default #0f172a.</summary>
    public string HeaderColor { get; set; } = "#0f172a";

    public PhoneChannelOptions Phone { get; set; } = new();

    public ChatChannelOptions Chat { get; set; } = new();

    /// <summary>Social profiles listed on the contact page, e.g. { "Network": "Mastodon", "Handle": "@acme@social.example", "Url": "https://…" }.</summary>
    public List<SocialProfile> Social { get; set; } = [];

    /// <summary>The business calendar whose hours the contact page shows (by name); the first calendar when unset.</summary>
    public string? Calendar { get; set; }

    /// <summary>Minutes a sign-in link works. Default 15.</summary>
    public int SignInLinkMinutes { get; set; } = 15;

    /// <summary>Sign-in links one address may be sent per hour. Default 5.</summary>
    public int SignInLinksPerAddressPerHour { get; set; } = 5;

    /// <summary>Days a customer stays signed in to "My tickets". Default 7.</summary>
    public int SessionDays { get; set; } = 7;

    /// <summary>Hours an identity verification link works. Default 48.</summary>
    public int VerificationHours { get; set; } = 48;

    /// <summary>Form posts (requests, sign-in links, replies, votes) one address may make per window. Default 10.</summary>
    public int FormPostsPerWindow { get; set; } = 10;

    /// <summary>The window of <see cref="FormPostsPerWindow"/>, in seconds. Default 600.</summary>
    public int FormWindowSeconds { get; set; } = 600;

    /// <summary>A request form sent back sooner than this after it was shown is taken for a bot. Default 3.</summary>
    public int MinSecondsToFillForm { get; set; } = 3;

    /// <summary>A request form older than this is refused as stale (show it again). Default 86400 (a day).</summary>
    public int MaxFormAgeSeconds { get; set; } = 86_400;

    /// <summary>Files one request or reply may carry. Default 5.</summary>
    public int MaxFilesPerMessage { get; set; } = 5;
}

/// <summary>The telephone line on the contact page.</summary>
public sealed class PhoneChannelOptions
{
    /// <summary>The number to call, as dialled (e.g. "+49 30 1234567"); the phone channel is not listed without it.</summary>
    public string? Number { get; set; }

    /// <summary>The phone menu's options in order: "1" is the first, and so on.</summary>
    public List<string> MenuOptions { get; set; } = [];

    /// <summary>Typical wait on the line in minutes, when the telephony system gives no live figure.</summary>
    public int? TypicalWaitMinutes { get; set; }
}

/// <summary>Live chat on the contact page: whether it is shown at all, and which chat site's hours and agents it reports.</summary>
public sealed class ChatChannelOptions
{
    /// <summary>Whether live chat is shown on the contact page at all. Default false (until the chat widget is set up).</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The key of the chat site whose business hours and team the contact page reports; the first switched-on site (by
    /// name) when not set. With no switched-on site, the portal's calendar and every online agent are counted.
    /// </summary>
    public string? Site { get; set; }

    /// <summary>Where the chat opens (a page with the widget); the contact page links to it.</summary>
    public string? Url { get; set; }
}

public sealed class SocialProfile
{
    public string Network { get; set; } = "";
    public string Handle { get; set; } = "";
    public string? Url { get; set; }
}
