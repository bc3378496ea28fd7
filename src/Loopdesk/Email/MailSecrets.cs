using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;

namespace Loopdesk.Email;

/// <summary>Mailbox passwords and tokens, encrypted at rest with ASP.NET Data Protection (keys under the data directory).</summary>
public sealed class MailSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Loopdesk.Email.MailboxSecrets.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    public string? Unprotect(string? stored)
    {
        if (stored is null) return null;
        try
        {
            return _protector.Unprotect(stored);
        }
        catch (CryptographicException)
        {
            // the key ring was lost or replaced: the secret must be entered again
            return null;
        }
    }

    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    public static bool Matches(string? hash, string? secret)
        => hash is not null && !string.IsNullOrEmpty(secret)
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(hash), Encoding.ASCII.GetBytes(Hash(secret)));
}
