using Loopdesk.Core.Common;
namespace Loopdesk.Core.Customers;

/// <summary>A customer's company.</summary>
public sealed class Organization
{
    private Organization() { }

    public Organization(string name, string? domain, DateTimeOffset now)
    {
        Id = Ids.New(now);
        Name = name.Trim();
        Domain = domain?.Trim().ToLowerInvariant();
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public string Name { get; private set; } = "";
    /// <summary>The email domain of its people, so a new customer from it joins it.</summary>
    public string? Domain { get; private set; }
    public string? Notes { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public void Rename(string name, string? domain, string? notes)
    {
        Name = name.Trim();
        Domain = domain?.Trim().ToLowerInvariant();
        Notes = notes;
    }
}
