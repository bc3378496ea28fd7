using System.Security.Claims;
using Bunit;
using Loopdesk.Core.Agents;
using Loopdesk.Data;
using Loopdesk.Platform;
using Loopdesk.Platform.Auth;
using Loopdesk.Tests.Infrastructure;
using Loopdesk.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace Loopdesk.Tests.Web;

/// <summary>
/// Workspace components rendered by bUnit on the real services of a test host: its database (through the same
/// <see cref="WorkspaceDb"/> the circuit uses), its fake clock and its settings, for a signed-in staff member.
/// </summary>
public abstract class ComponentTests : BunitContext
{
    protected ComponentTests(LoopdeskApp app, AgentRole role = AgentRole.Agent)
    {
        App = app;
        var name = $"Test {Core.Common.Wire.Name(role)}";
        User = new ClaimsPrincipal(Policies.IdentityFor(app.AgentId(role), name, role, "Test"));
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddSingleton(app.Services.GetRequiredService<WorkspaceDb>());
        Services.AddSingleton<TimeProvider>(app.Clock);
        Services.AddSingleton(app.Services.GetRequiredService<IOptions<LoopdeskOptions>>());
        Services.AddSingleton(app.Services.GetRequiredService<Loopdesk.Tickets.FileStore>());
        var auth = AddAuthorization();
        auth.SetAuthorized(name);
        // roles first: setting them again leaves out the claims set before
        auth.SetRoles(Policies.RoleName(role));
        auth.SetClaims(new Claim(ClaimTypes.NameIdentifier, app.AgentId(role).ToString()));
    }

    protected LoopdeskApp App { get; }

    /// <summary>The signed-in staff member, as the circuit sees them.</summary>
    protected ClaimsPrincipal User { get; }

    protected static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    /// <summary>Enough for a debounce or a database round trip on a busy machine.</summary>
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    protected Task<T> ReadAsync<T>(Func<LoopdeskDb, Task<T>> read)
        => App.Services.GetRequiredService<WorkspaceDb>().RunAsync((db, _) => read(db));
}
