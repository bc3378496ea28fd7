using System.Text.RegularExpressions;

namespace Loopdesk.Portal;

/// <summary>Brand settings made safe to put into a page: a colour is a #rrggbb value or the default, a logo an http(s) URL or a site path.</summary>
public static partial class PortalTheme
{
    public static string Color(string? value, string fallback) => value is not null && Hex().IsMatch(value) ? value : fallback;

    public static string? SafeUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return null;
        if (url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)) return url;
        return Uri.TryCreate(url, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp) ? u.ToString() : null;
    }

    /// <summary>Only a path on this site: a link's return address must not send visitors elsewhere.</summary>
    public static string LocalPath(string? url)
        => url is { Length: > 0 } && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) ? url : "/";

    [GeneratedRegex("^#[0-9a-fA-F]{6}$")]
    private static partial Regex Hex();
}

/// <summary>The marker type of the portal's resource files (Strings.resx, Strings.de.resx).</summary>
public sealed class Strings;
