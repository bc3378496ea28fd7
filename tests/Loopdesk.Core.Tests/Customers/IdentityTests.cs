using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Microsoft.Extensions.Time.Testing;

namespace Loopdesk.Core.Tests.Customers;

public class IdentityTests
{
    [Theory]
    [InlineData("+1 (555) 010-2345", "+15550102345")]
    [InlineData("0049 30 1234567", "+49301234567")]
    [InlineData("555.010.2345", "5550102345")]
    [InlineData("030/1234567", "0301234567")]
    public void Phones_are_reduced_to_their_digits(string written, string expected)
        => Assert.Equal(expected, PhoneNumber.Normalize(written, out _));

    [Theory]
    [InlineData("12345")]
    [InlineData("call me maybe")]
    [InlineData("+1 555 010 2345 ext 12")]
    [InlineData("1234567890123456")]
    public void Things_that_are_not_phones_are_refused_with_a_reason(string written)
    {
        Assert.Null(PhoneNumber.Normalize(written, out var problem));
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Theory]
    [InlineData("+49301234567", "0301234567", true)]
    [InlineData("+15550102345", "5550102345", true)]
    [InlineData("+15550102345", "+445550102345", false)]
    [InlineData("+49301234567", "+49301234568", false)]
    public void A_national_number_is_the_same_line_as_its_international_form(string a, string b, bool same)
        => Assert.Equal(same, PhoneNumber.SameLine(a, b));

    [Theory]
    [InlineData(" Anna.Keller@Example.COM ", "anna.keller@example.com")]
    [InlineData("jürgen@bücher.de", "jürgen@bücher.de")]
    public void Emails_are_compared_in_one_form(string written, string expected)
        => Assert.Equal(expected, EmailAddress.Normalize(written, out _));

    [Theory]
    [InlineData("not-an-email")]
    [InlineData("a@b")]
    [InlineData("anna@exa mple.com")]
    [InlineData("anna\u200B@example.com")]
    [InlineData("p\u0430ypal@example.com")]
    [InlineData("\"quoted\"@example.com")]
    public void Malformed_or_spoofed_emails_are_refused(string written)
    {
        Assert.Null(EmailAddress.Normalize(written, out var problem));
        Assert.NotNull(problem);
    }

    [Theory]
    [InlineData("x:@Anna_K", "x:anna_k")]
    [InlineData(" Mastodon:@anna@social.example ", "mastodon:anna@social.example")]
    public void Handles_are_network_and_name_in_lower_case(string written, string expected)
        => Assert.Equal(expected, SocialHandle.Normalize(written, out _));

    [Theory]
    [InlineData("anna")]
    [InlineData(":anna")]
    [InlineData("x:")]
    [InlineData("x:anna smith")]
    [InlineData("x:\u0430nna")]
    public void Things_that_are_not_handles_are_refused(string written) => Assert.Null(SocialHandle.Normalize(written, out _));

    [Theory]
    [InlineData("Anna\u200BKeller")]
    [InlineData("Anna\u202EKeller")]
    [InlineData("P\u0430ul")]
    [InlineData("Anna\u0000")]
    public void Names_with_invisible_or_look_alike_characters_are_refused(string name)
        => Assert.NotNull(TextRules.FindProblem(name));

    [Theory]
    [InlineData("Иван Петров")]
    [InlineData("José García-Núñez")]
    [InlineData("O'Brien")]
    [InlineData("山田 太郎")]
    public void Real_names_in_any_one_script_are_fine(string name) => Assert.Null(TextRules.FindProblem(name));

    [Fact]
    public void Merging_moves_identities_adds_figures_and_points_the_source_at_the_target()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var target = Customer.Create("Anna Keller", clock.GetUtcNow());
        target.AddIdentity(IdentityKind.Email, "anna@example.com", clock.GetUtcNow());
        var source = Customer.Create("A. Keller", clock.GetUtcNow());
        source.AddIdentity(IdentityKind.Phone, "+49301234567", clock.GetUtcNow());
        source.Update(new CustomerChange { LifetimeValue = 120m, Vip = true }, clock.GetUtcNow());

        Assert.True(target.Absorb(source, clock.GetUtcNow()).IsOk);

        Assert.Equal(["anna@example.com", "+49301234567"], target.Identities.Select(i => i.Value));
        Assert.Empty(source.Identities);
        Assert.Equal(target.Id, source.MergedIntoId);
        Assert.Equal(120m, target.LifetimeValue);
        Assert.True(target.Vip);
        Assert.Equal("customer.merge_self", target.Absorb(target, clock.GetUtcNow()).Code);
        Assert.Equal("customer.merged", target.Absorb(source, clock.GetUtcNow()).Code);
    }
}
