using Loopdesk.Core.Tickets;
using Loopdesk.Web.Workspace;

namespace Loopdesk.Tests.Web;

/// <summary>Two agents editing one ticket: different fields both apply, the same field is a conflict.</summary>
public sealed class TicketFormTests
{
    private static readonly Guid Tom = Guid.NewGuid();
    private static readonly TicketForm Basis = new(TicketStatus.Open, TicketPriority.Normal, TicketType.Question, null, null, ["billing"]);

    [Fact]
    public void Edits_to_different_fields_do_not_conflict_and_the_form_follows_the_other_field()
    {
        var mine = Basis with { Status = TicketStatus.Pending };
        var current = Basis with { Priority = TicketPriority.Urgent };

        Assert.Empty(mine.ConflictsWith(Basis, current));
        var (form, basis) = mine.Rebase(Basis, current);
        Assert.Equal(TicketStatus.Pending, form.Status);
        Assert.Equal(TicketPriority.Urgent, form.Priority);
        // the edit is still an edit against the rebased basis, and only the edited field is sent
        var change = form.ChangeFrom(basis);
        Assert.Equal(TicketStatus.Pending, change.Status);
        Assert.Null(change.Priority);
        Assert.False(change.AssigneeId.HasValue);
    }

    [Fact]
    public void The_same_field_changed_differently_is_a_conflict_but_the_same_value_is_not()
    {
        var mine = Basis with { Priority = TicketPriority.Low, OwnerId = Tom };
        Assert.Equal(["priority"], mine.ConflictsWith(Basis, Basis with { Priority = TicketPriority.High }));
        Assert.Empty(mine.ConflictsWith(Basis, Basis with { Priority = TicketPriority.Low }));
        Assert.Equal(["priority", "owner"], mine.ConflictsWith(Basis, Basis with { Priority = TicketPriority.High, OwnerId = Guid.NewGuid() }));
    }

    [Fact]
    public void Tags_compare_as_a_set_written_any_way()
    {
        Assert.Equal(["a", "b"], TicketForm.ParseTags(" B, a ,,b "));
        var mine = Basis with { Tags = TicketForm.ParseTags("Billing") };
        Assert.Empty(mine.Differences(Basis));
    }

    [Theory]
    [InlineData(new string[0], "nothing")]
    [InlineData(new[] { "status" }, "the status")]
    [InlineData(new[] { "status", "owner" }, "the status and the owner")]
    [InlineData(new[] { "status", "team", "tags" }, "the status, the team and the tags")]
    public void Fields_are_named_in_plain_words(string[] fields, string words) => Assert.Equal(words, TicketForm.Words(fields));
}
