using Microsoft.AspNetCore.Identity;

namespace Loopdesk.Platform.Auth;

/// <summary>The sign-in record of an agent (same id as the agent): password hash, lockout, security stamp.</summary>
public sealed class StaffUser : IdentityUser<Guid>;
