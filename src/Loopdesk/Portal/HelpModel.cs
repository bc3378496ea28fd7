using Loopdesk.Core.Common;
using Loopdesk.Core.Customers;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loopdesk.Portal;

/// <summary>A shelf of the help center ("Billing", "Your connection").</summary>
public sealed class HelpCategory
{
    public const int NameMaxLength = 100;
    public const int SlugMaxLength = 80;
    public const int DescriptionMaxLength = 500;

    private HelpCategory() { }

    public HelpCategory(string slug, string name, string? description, int position, DateTimeOffset now)
    {
        Id = Ids.New(now);
        Slug = slug;
        Set(name, description, position, now);
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public string Slug { get; private set; } = "";
    public string Name { get; private set; } = "";
    public string? Description { get; private set; }
    public int Position { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }

    public void Set(string name, string? description, int position, DateTimeOffset now)
    {
        Name = name.Trim();
        Description = string.IsNullOrWhiteSpace(description) ? null : description.Trim();
        Position = position;
        UpdatedAt = now;
    }
}

/// <summary>
/// A help-center article in Markdown, written for the intermediate reader, with optional variants for novices (more
/// steps, fewer words of jargon) and experts (the short version); a missing variant falls back to the intermediate one.
/// </summary>
public sealed class HelpArticle
{
    public const int TitleMaxLength = 200;
    public const int SlugMaxLength = 120;
    public const int SummaryMaxLength = 500;
    public const int BodyMaxLength = 100_000;

    private HelpArticle() { }

    public HelpArticle(string slug, Guid categoryId, DateTimeOffset now)
    {
        Id = Ids.New(now);
        Slug = slug;
        CategoryId = categoryId;
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public string Slug { get; private set; } = "";
    public Guid CategoryId { get; private set; }
    public string Title { get; private set; } = "";
    public string? Summary { get; private set; }
    public string Body { get; private set; } = "";
    public string? NoviceBody { get; private set; }
    public string? ExpertBody { get; private set; }
    public bool Published { get; private set; }
    public int HelpfulCount { get; private set; }
    public int NotHelpfulCount { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset UpdatedAt { get; private set; }
    public int Version { get; private set; }

    public void Set(Guid categoryId, string title, string? summary, string body, string? noviceBody, string? expertBody, bool published, DateTimeOffset now)
    {
        CategoryId = categoryId;
        Title = title.Trim();
        Summary = string.IsNullOrWhiteSpace(summary) ? null : summary.Trim();
        Body = body;
        NoviceBody = string.IsNullOrWhiteSpace(noviceBody) ? null : noviceBody;
        ExpertBody = string.IsNullOrWhiteSpace(expertBody) ? null : expertBody;
        Published = published;
        UpdatedAt = now;
        Version++;
    }

    /// <summary>The Markdown for a reader of the given level: their variant, else the intermediate one.</summary>
    public string BodyFor(ExpertiseLevel level) => level switch
    {
        ExpertiseLevel.Novice => NoviceBody ?? Body,
        ExpertiseLevel.Expert => ExpertBody ?? Body,
        ExpertiseLevel.Intermediate => Body,
        _ => Body,
    };

    public void Counted(bool helpful)
    {
        if (helpful) HelpfulCount++;
        else NotHelpfulCount++;
    }
}

/// <summary>One visitor's "did this help?" on one article: one per visitor (a random id in a cookie, stored hashed).</summary>
public sealed class HelpVote
{
    private HelpVote() { }

    public HelpVote(Guid articleId, string visitorHash, bool helpful, DateTimeOffset now)
    {
        Id = Ids.New(now);
        ArticleId = articleId;
        VisitorHash = visitorHash;
        Helpful = helpful;
        CreatedAt = now;
    }

    public Guid Id { get; private set; }
    public Guid ArticleId { get; private set; }
    public string VisitorHash { get; private set; } = "";
    public bool Helpful { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }
}

internal sealed class HelpCategoryConfiguration : IEntityTypeConfiguration<HelpCategory>
{
    public void Configure(EntityTypeBuilder<HelpCategory> b)
    {
        b.HasKey(c => c.Id);
        b.Property(c => c.Slug).HasMaxLength(HelpCategory.SlugMaxLength);
        b.HasIndex(c => c.Slug).IsUnique();
        b.Property(c => c.Name).HasMaxLength(HelpCategory.NameMaxLength);
        b.Property(c => c.Description).HasMaxLength(HelpCategory.DescriptionMaxLength);
    }
}

internal sealed class HelpArticleConfiguration : IEntityTypeConfiguration<HelpArticle>
{
    public void Configure(EntityTypeBuilder<HelpArticle> b)
    {
        b.HasKey(a => a.Id);
        b.Property(a => a.Slug).HasMaxLength(HelpArticle.SlugMaxLength);
        b.HasIndex(a => a.Slug).IsUnique();
        b.Property(a => a.Title).HasMaxLength(HelpArticle.TitleMaxLength);
        b.Property(a => a.Summary).HasMaxLength(HelpArticle.SummaryMaxLength);
        b.Property(a => a.Body).HasMaxLength(HelpArticle.BodyMaxLength);
        b.Property(a => a.NoviceBody).HasMaxLength(HelpArticle.BodyMaxLength);
        b.Property(a => a.ExpertBody).HasMaxLength(HelpArticle.BodyMaxLength);
        b.Property(a => a.Version).IsConcurrencyToken();
        b.HasIndex(a => new { a.CategoryId, a.Published, a.Title });
        b.HasOne<HelpCategory>().WithMany().HasForeignKey(a => a.CategoryId).OnDelete(DeleteBehavior.Restrict);
    }
}

internal sealed class HelpVoteConfiguration : IEntityTypeConfiguration<HelpVote>
{
    public void Configure(EntityTypeBuilder<HelpVote> b)
    {
        b.HasKey(v => v.Id);
        b.Property(v => v.VisitorHash).HasMaxLength(64);
        b.HasIndex(v => new { v.ArticleId, v.VisitorHash }).IsUnique();
        b.HasOne<HelpArticle>().WithMany().HasForeignKey(v => v.ArticleId).OnDelete(DeleteBehavior.Cascade);
    }
}
