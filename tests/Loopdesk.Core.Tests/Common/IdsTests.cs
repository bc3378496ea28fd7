using Loopdesk.Core.Common;

namespace Loopdesk.Core.Tests.Common;

public class IdsTests
{
    [Fact]
    public void Ids_made_in_the_same_millisecond_sort_in_the_order_they_were_made()
    {
        var now = new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 10_000).Select(_ => Ids.New(now)).ToList();
        var asText = ids.Select(i => i.ToString("D")).ToList();
        Assert.Equal(asText.Order(StringComparer.Ordinal), asText);
        Assert.All(ids, id => Assert.Equal(7, id.Version));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void Later_ids_sort_after_earlier_ones()
    {
        var a = Ids.New(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var b = Ids.New(new DateTimeOffset(2030, 1, 1, 0, 0, 1, TimeSpan.Zero));
        Assert.True(string.CompareOrdinal(a.ToString(), b.ToString()) < 0);
    }

    [Fact]
    public void A_position_orders_ids_as_they_sort_and_the_first_id_of_a_position_sorts_before_every_id_made_there()
    {
        var at = new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 100).Select(_ => Ids.New(at)).ToList();
        Assert.Equal(ids.Select(Ids.Position).Order(), ids.Select(Ids.Position));
        Assert.All(ids, id => Assert.True(Ids.Position(id) >= Ids.Position(at)));
        Assert.All(ids, id => Assert.True(string.CompareOrdinal(Ids.First(Ids.Position(id)).ToString(), id.ToString()) <= 0));
        Assert.Equal(Ids.Position(ids[0]), Ids.Position(Ids.First(Ids.Position(ids[0]))));
        Assert.True(string.CompareOrdinal(Ids.First(Ids.Position(at)).ToString(), ids[0].ToString()) <= 0);
    }
}
