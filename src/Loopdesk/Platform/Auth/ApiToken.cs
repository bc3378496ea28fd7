using Loopdesk.Core.Common;
using System.Security.Cryptography;
using System.Text;
using Loopdesk.Core.Agents;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Loopdesk.Platform.Auth;

/// <summary>
/// A personal API token. Only its SHA-256 hash is stored; the secret is shown once, when it is made.
/// Tokens are long random strings, so a fast hash is enough (no password-style stretching needed).
/// </summary>
public sealed class ApiToken
{
    public const string SecretPrefix = "ldk_";

    private ApiToken() { }

    public Guid Id { get; private set; }
    public Guid AgentId { get; private set; }
    public string Name { get; private set; } = "";
    public string Hash { get; private set; } = "";
    /// <summary>The first characters of the secret, so a person can tell tokens apart.</summary>
    public string Hint { get; private set; } = "";
    public DateTimeOffset CreatedAt { get; private set; }
    public DateTimeOffset? ExpiresAt { get; private set; }
    public DateTimeOffset? RevokedAt { get; private set; }

    public bool IsUsable(DateTimeOffset now) => RevokedAt is null && (ExpiresAt is null || ExpiresAt > now);

    /// <summary>Makes a token; <paramref name="secret"/> is given for a pre-set token (first-start bootstrap), else drawn.</summary>
    public static (ApiToken Token, string Secret) Create(Guid agentId, string name, DateTimeOffset now, DateTimeOffset? expiresAt, string? secret = null)
    {
        secret ??= SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var token = new ApiToken
        {
            Id = Ids.New(now),
            AgentId = agentId,
            Name = name.Trim(),
            Hash = HashOf(secret),
            Hint = secret.Length > 10 ? secret[..10] : secret[..Math.Min(4, secret.Length)],
            CreatedAt = now,
            ExpiresAt = expiresAt,
        };
        return (token, secret);
    }

    public void Revoke(DateTimeOffset now) => RevokedAt ??= now;

    public static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}

internal sealed class ApiTokenConfiguration : IEntityTypeConfiguration<ApiToken>
{
    public void Configure(EntityTypeBuilder<ApiToken> b)
    {
        b.HasKey(t => t.Id);
        b.Property(t => t.Name).HasMaxLength(100);
        b.Property(t => t.Hash).HasMaxLength(64);
        b.Property(t => t.Hint).HasMaxLength(16);
        b.HasIndex(t => t.Hash).IsUnique();
        b.HasIndex(t => t.AgentId);
        b.HasOne<Agent>().WithMany().HasForeignKey(t => t.AgentId).OnDelete(DeleteBehavior.Cascade);
    }
}
