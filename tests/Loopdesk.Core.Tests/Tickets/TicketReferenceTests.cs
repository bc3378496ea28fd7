using Loopdesk.Core.Tickets;

namespace Loopdesk.Core.Tests.Tickets;

public class TicketReferenceTests
{
    [Fact]
    public void New_references_never_use_look_alike_symbols()
    {
        for (var i = 0; i < 2000; i++)
        {
            var reference = TicketReference.New();
            Assert.Matches("^[2-9A-Z]{4}-[2-9A-Z]{4}$", reference);
            Assert.DoesNotContain(reference, c => c is '0' or 'O' or '1' or 'I' or 'L');
        }
    }

    [Theory]
    [InlineData("abcd-2345", "ABCD-2345")]
    [InlineData("#ABCD2345", "ABCD-2345")]
    [InlineData(" abcd 2345 ", "ABCD-2345")]
    public void A_reference_is_read_however_a_person_types_it(string typed, string expected)
        => Assert.Equal(expected, TicketReference.Parse(typed));

    [Theory]
    [InlineData("ABCD-234")]
    [InlineData("ABCD-23456")]
    [InlineData("ABC0-2345")]
    [InlineData("ABCO-2345")]
    [InlineData("ABCL-2345")]
    [InlineData("'; drop table")]
    [InlineData("")]
    public void Something_that_cannot_be_a_reference_is_not_one(string typed) => Assert.Null(TicketReference.Parse(typed));
}
