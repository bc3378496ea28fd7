using Loopdesk.Core.Email;

namespace Loopdesk.Core.Tests.Email;

public sealed class MailTextTests
{
    [Theory]
    [InlineData("\"Anna Berg\"", "Anna")]
    [InlineData("Berg, Anna", "Anna")]
    [InlineData("  anna  ", "anna")]
    [InlineData("anna@example.org", null)]
    [InlineData("12345", null)]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void The_first_name_comes_from_the_display_name(string? display, string? expected)
        => Assert.Equal(expected, MailText.FirstName(display));

    [Fact]
    public void A_name_that_is_only_the_address_local_part_is_no_name()
        => Assert.Null(MailText.FirstName("jdoe", "jdoe@example.org"));

    [Theory]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("C:\\Windows\\win.ini", "win.ini")]
    [InlineData("invoice\u202Efdp.exe", "invoicefdp.exe")]
    [InlineData("  ..hidden.. ", "hidden")]
    [InlineData("/", "attachment")]
    [InlineData("a\u0000b\u0007c.txt", "abc.txt")]
    public void File_names_lose_paths_controls_and_bidi_overrides(string name, string expected)
        => Assert.Equal(expected, MailText.SafeFileName(name));

    [Fact]
    public void Quoted_history_and_signatures_are_folded_away_but_kept()
    {
        var (text, folded) = MailText.Fold("Thanks, that worked.\n\nOn Mon, 2 Mar 2026 at 10:02, Shop <support@shop.example> wrote:\n> Try again.\n");
        Assert.Equal("Thanks, that worked.", text);
        Assert.Contains("> Try again.", folded, StringComparison.Ordinal);

        var (outlook, _) = MailText.Fold("See below.\n\nFrom: Shop Support <support@shop.example>\nSent: Monday, March 2, 2026 10:02\nTo: Anna\nSubject: RE: Order\n\nOld text");
        Assert.Equal("See below.", outlook);

        var (signed, sig) = MailText.Fold("Short answer.\n-- \nAnna Berg\n+31 20 555 0100");
        Assert.Equal("Short answer.", signed);
        Assert.StartsWith("-- ", sig, StringComparison.Ordinal);

        var (mobile, _) = MailText.Fold("Yes please\n\nSent from my iPhone");
        Assert.Equal("Yes please", mobile);
    }

    [Fact]
    public void A_forwarded_message_is_content_not_a_quote()
    {
        var body = "Please help.\n\n---------- Forwarded message ---------\nFrom: Carrier <noreply@carrier.example>\nDate: Mon\nSubject: Missed delivery\nTo: me\n\nWe came by.";
        var (text, folded) = MailText.Fold(body);
        Assert.Contains("We came by.", text, StringComparison.Ordinal);
        Assert.Null(folded);
    }

    [Fact]
    public void Nothing_new_keeps_the_whole_text()
    {
        var (text, folded) = MailText.Fold("> only a quote\n> nothing else");
        Assert.Equal("> only a quote\n> nothing else", text);
        Assert.Null(folded);
    }

    [Theory]
    [InlineData("Re: Broken charger [#KXR7-M2QP]", "KXR7-M2QP")]
    [InlineData("AW: [#kxr7m2qp] Ladegerät", "KXR7-M2QP")]
    [InlineData("Order [#0000-1111]", null)]
    [InlineData("No token here", null)]
    public void The_reference_token_is_read_from_a_subject(string subject, string? expected)
        => Assert.Equal(expected, MailText.ReferenceIn(subject));

    [Fact]
    public void A_reply_subject_has_one_prefix_and_the_reference_once()
    {
        Assert.Equal("Re: Broken charger [#KXR7-M2QP]", MailText.ReplySubject("RE: Fwd: Broken charger [#KXR7-M2QP]", "KXR7-M2QP"));
        Assert.Equal("Re: Your request [#KXR7-M2QP]", MailText.ReplySubject("", "KXR7-M2QP"));
    }

    [Theory]
    [InlineData("Auto-Submitted", "auto-replied", "auto-replied")]
    [InlineData("Auto-Submitted", "auto-generated", "auto-generated")]
    [InlineData("Auto-Submitted", "no", null)]
    [InlineData("X-Autoreply", "yes", "autoreply-header")]
    [InlineData("Precedence", "bulk", "bulk")]
    [InlineData("Precedence", "list", "list")]
    [InlineData("List-Id", "<news.example.net>", "list")]
    public void Machine_written_mail_is_recognized(string header, string value, string? expected)
        => Assert.Equal(expected, MailText.Automatic(h => string.Equals(h, header, StringComparison.OrdinalIgnoreCase) ? value : null, "someone@example.org"));

    [Fact]
    public void A_mailer_daemon_sender_is_automatic()
        => Assert.Equal("mailer-daemon", MailText.Automatic(_ => null, "mailer-daemon@mx.example.org"));

    [Fact]
    public void Thread_index_keeps_the_conversation_prefix_and_grows_by_five_bytes_a_reply()
    {
        var id = Guid.NewGuid();
        var start = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        var root = Convert.FromBase64String(ThreadIndex.For(id, start, 0, start));
        var reply = Convert.FromBase64String(ThreadIndex.For(id, start, 2, start.AddHours(1)));
        Assert.Equal(22, root.Length);
        Assert.Equal(32, reply.Length);
        Assert.Equal(root, reply[..22]);
    }
}
