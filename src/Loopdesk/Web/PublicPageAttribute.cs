namespace Loopdesk.Web;

/// <summary>
/// Marks a page customers see without signing in: rendered statically with its own plain stylesheet, without the
/// workspace's component library or scripts (see App.razor).
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class PublicPageAttribute : Attribute;
