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
}
