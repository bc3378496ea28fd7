using Loopdesk.Data;
using Microsoft.EntityFrameworkCore;

namespace Loopdesk.Portal;

/// <summary>The demo help center: four categories and a dozen articles, each written for three levels of expertise.</summary>
public static class HelpSeed
{
    private static readonly (string Slug, string Name, string Description)[] Categories =
    [
        ("connection", "Your connection", "Internet, Wi-Fi and the router."),
        ("billing", "Billing and payments", "Invoices, charges, refunds and plans."),
        ("account", "Your account", "Signing in, users and security."),
        ("orders", "Orders and delivery", "Shipping, returns and replacements."),
    ];

    private static readonly (string Category, string Title, string Summary, string Body, string Novice, string Expert)[] Articles =
    [
        ("connection", "Internet drops every evening", "Why a connection fails at busy times, and what fixes it.",
            "If your connection drops at the same time each evening, the line or the Wi-Fi channel is probably congested.\n\n1. Restart the router once (unplug it for 30 seconds).\n2. Move the router away from metal and microwaves.\n3. In the router's settings, set the Wi-Fi channel to *automatic*.\n\nIf it still drops, [contact us](/contact) with the times it happened.",
            "Don't worry, this is common and usually easy to fix.\n\n1. Find the router: the small box with blinking lights.\n2. Pull out its power plug, count to 30, and plug it back in.\n3. Wait five minutes until the lights are steady.\n\nStill dropping? [Tell us](/request) when it happens and we will look at your line.",
            "Evening drops are usually contention or co-channel interference. Check the sync log for retrains, pin the 5 GHz channel to a DFS-free one, and send us the DSL statistics (SNR margin, CRC errors) if retrains continue."),
        ("connection", "Setting up Wi-Fi on a new router", "Connect your devices to a new router in a few minutes.",
            "Your router's Wi-Fi name and password are on the sticker underneath it. Choose that name on your device and type the password. To change the name or password, open http://192.168.1.1 and sign in with the admin password from the same sticker.",
            "Turn the router over: the sticker shows the **network name** and **password**. On your phone, open Settings, then Wi-Fi, tap that name and type the password exactly as written (capital letters matter).",
            "Admin UI at 192.168.1.1. Use WPA3/WPA2 mixed mode, disable WPS, and split the SSIDs if legacy 2.4 GHz clients misbehave with band steering."),
        ("connection", "Slow speeds on Wi-Fi but not on cable", "How to tell whether the Wi-Fi or the line is slow.",
            "Run a speed test with a cable plugged into the router, then over Wi-Fi in the same room. If the cable is fast and Wi-Fi is slow, the Wi-Fi signal is the problem: move closer, or add a mesh point.",
            "Try this: plug your computer into the router with a network cable and visit a speed test site. Then unplug the cable and test again near the router. If the second number is much lower, the Wi-Fi is the slow part, not your line.",
            "Compare wired iperf/speedtest against Wi-Fi at 1 m. A large delta points to RF: check channel width (80 MHz on 5 GHz), client capabilities, and interference; otherwise request a line test."),
        ("billing", "I was charged twice", "What a double charge is and how the refund works.",
            "Sometimes a payment shows twice while the bank holds the amount. A held amount disappears within 3-5 working days. If both charges are still there after that, [send us a request](/request) with the dates and amounts, and we refund the duplicate.",
            "First, don't worry: you will not pay twice. Often the bank only *reserves* the money and it goes away by itself within a few days. If after 5 working days you still see two payments, write to us and we will give one back.",
            "Pending authorisations drop off in 3-5 business days. Settled duplicates are refunded to the original payment method; include the transaction references in your request."),
        ("billing", "Getting an invoice with a VAT number", "Add your company's VAT number to invoices.",
            "Add your VAT number under Account, then Company details. New invoices include it. For an earlier invoice, send a request naming the invoice number and we re-issue it.",
            "Sign in, click your name at the top, choose **Company details**, type your VAT number and save. From now on it appears on every invoice.",
            "VAT ID under Account → Company details (validated against VIES). Re-issue of past invoices on request; reverse charge applies automatically for valid EU IDs."),
        ("billing", "Changing your plan", "Move to another plan without losing data.",
            "You can change plans at any time under Account, then Plan. Upgrades apply at once and are charged pro rata; downgrades apply at the next billing date. Your data stays as it is.",
            "Go to **Account**, then **Plan**, and pick the plan you want. Nothing you have saved is lost. If you move to a bigger plan you pay only for the days left this month.",
            "Plan changes: upgrades immediate with proration, downgrades at period end. Limits are enforced at the downgrade date; export first if you exceed the smaller plan's quotas."),
        ("account", "Cannot sign in after a password reset", "What to check when a new password is refused.",
            "After a reset, old sessions end. Make sure you use the newest reset mail (older links stop working), and that the keyboard layout and caps lock are as expected. Apps may keep the old password: sign out of the app and in again.",
            "This happens a lot, and it is easy to fix. Check that **Caps Lock** is off. Use only the *newest* reset email. On your phone, close the app completely, open it again and type the new password.",
            "Reset invalidates all refresh tokens. Clear stored credentials in the app's keychain entry; SSO users reset at their identity provider, not here."),
        ("account", "Adding a second user", "Give a colleague their own sign-in.",
            "Under Account, then Users, choose Invite and enter your colleague's email address. They receive a link to set their own password. Each user has their own sign-in; never share passwords.",
            "Go to **Account**, then **Users**, and click **Invite**. Type your colleague's email address. They get an email with a link to choose their own password.",
            "Account → Users → Invite. Roles: owner, admin, member. SCIM provisioning is available on the business plan."),
        ("account", "Turning on two-step sign-in", "Protect your account with a code from your phone.",
            "Under Account, then Security, turn on two-step sign-in and scan the QR code with an authenticator app. Keep the recovery codes somewhere safe.",
            "Two-step sign-in means that besides your password you type a code from your phone. Install an app such as an *authenticator*, go to **Account**, then **Security**, and follow the steps.",
            "TOTP (RFC 6238) with recovery codes; WebAuthn keys supported. Enforce it for all users under Organization → Security."),
        ("orders", "My order has not arrived", "Track an order and what to do when it is late.",
            "Your confirmation mail has a tracking link. Orders usually arrive within 3 working days. If tracking has not changed for 5 days, [send us a request](/request) with the order number and we send a replacement or refund.",
            "Look for the email we sent when you ordered: it has a **tracking link** that shows where your parcel is. If nothing has changed for five days, write to us with the order number and we will sort it out.",
            "Tracking via the carrier link in the confirmation. Parcels with no scan for 5 business days are declared lost; we reship or refund without waiting for the carrier's claim."),
        ("orders", "Returning a product", "Send something back within 30 days.",
            "You can return products within 30 days. Start a return from your order page, print the label, and drop the parcel at any post office. The refund follows within 5 days of arrival.",
            "Changed your mind? No problem within 30 days. Open your order, click **Return**, print the label and take the parcel to a post office. We pay you back once it arrives.",
            "30-day returns, prepaid label from the order page. Refund to the original method within 5 business days of receipt; opened consumables excluded."),
        ("orders", "Replacing a faulty power adapter", "Get a replacement for an adapter that stopped working.",
            "If your power adapter is faulty within the warranty (2 years), [send a request](/request) with the order number and a photo of the label. We ship a replacement at once; you return the old one with the prepaid label.",
            "If the power adapter does not work any more, write to us with your order number and a photo of the small label on the adapter. We send you a new one straight away.",
            "Warranty: 2 years. Advance replacement; RMA label included. Provide the adapter's model and serial (from the label)."),
    ];

    /// <summary>Adds the demo categories and articles that are not there yet; returns how many articles it added.</summary>
    public static async Task<int> SeedAsync(LoopdeskDb db, DateTimeOffset now, CancellationToken ct)
    {
        var categories = new Dictionary<string, Guid>();
        for (var i = 0; i < Categories.Length; i++)
        {
            var (slug, name, description) = Categories[i];
            var existing = await db.HelpCategories.FirstOrDefaultAsync(c => c.Slug == slug, ct);
            if (existing is null)
            {
                existing = new HelpCategory(slug, name, description, i, now);
                db.HelpCategories.Add(existing);
            }
            categories[slug] = existing.Id;
        }
        var added = 0;
        foreach (var a in Articles)
        {
            var slug = HelpCenter.Slugify(a.Title);
            if (await db.HelpArticles.AnyAsync(x => x.Slug == slug, ct)) continue;
            var article = new HelpArticle(slug, categories[a.Category], now);
            article.Set(categories[a.Category], a.Title, a.Summary, a.Body, a.Novice, a.Expert, true, now);
            db.HelpArticles.Add(article);
            added++;
        }
        await db.SaveChangesAsync(ct);
        return added;
    }
}
