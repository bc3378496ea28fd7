using System.Security.Cryptography;
using Loopdesk.Platform;
using Microsoft.Extensions.Options;

namespace Loopdesk.Tickets;

/// <summary>
/// Attachment bytes, content-addressed under the data directory (files/ab/cdef…, by SHA-256): the same file is stored
/// once, a write is idempotent, and a key cannot name a path outside the store.
/// </summary>
public sealed class FileStore(IOptions<LoopdeskOptions> options)
{
    private readonly string _root = Path.GetFullPath(Path.Combine(options.Value.DataDirectory, "files"));

    public async Task<string> PutAsync(byte[] content, CancellationToken ct)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(content));
        var path = PathOf(key)!;
        if (File.Exists(path)) return key;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        await File.WriteAllBytesAsync(temp, content, ct);
        File.Move(temp, path, overwrite: true);
        return key;
    }

    /// <summary>The file's stream, or null when the key is not one of ours or the file is gone.</summary>
    public Stream? Open(string key)
    {
        var path = PathOf(key);
        return path is not null && File.Exists(path) ? File.OpenRead(path) : null;
    }

    private string? PathOf(string key)
    {
        if (key.Length != 64 || !key.All(char.IsAsciiHexDigitLower)) return null;
        return Path.Combine(_root, key[..2], key[2..]);
    }
}
