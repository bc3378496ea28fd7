namespace Loopdesk.Core.Common;

/// <summary>The way a customer or co-worker reached us, or the way we answer.</summary>
public enum Channel { Email, Chat, Phone, Portal, Social, Review, Internal, Api, Visit }

/// <summary>Who did something: the customer, a staff member, or the system (a rule, a job, an import).</summary>
public enum ActorKind { Customer, Agent, System }

/// <summary>The one who makes a change, recorded on every event.</summary>
public readonly record struct Actor(ActorKind Kind, Guid? Id)
{
    public static readonly Actor System = new(ActorKind.System, null);

    public static Actor Agent(Guid id) => new(ActorKind.Agent, id);

    public static Actor Customer(Guid id) => new(ActorKind.Customer, id);
}
