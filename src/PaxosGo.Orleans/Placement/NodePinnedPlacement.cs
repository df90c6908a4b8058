using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using PaxosGo.Orleans.Grains;

namespace PaxosGo.Orleans.Placement;

/// <summary>
/// Places a grain keyed <c>{application}/{node}</c> on the silo of that node and nowhere else: an
/// acceptor or learner that ran on another node would speak with a different identity and break the
/// one-vote-per-node assumption of Paxos.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class NodePinnedPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static readonly NodePinnedPlacement Instance = new();

    /// <inheritdoc />
    public override bool IsUsingGrainDirectory => true;
}

/// <summary>Marks a grain class as pinned to the node named in its key.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class NodePinnedPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public NodePinnedPlacementAttribute()
        : base(NodePinnedPlacement.Instance)
    {
    }
}

/// <summary>
/// Finds the active silo whose name (<c>SiloOptions.SiloName</c>) is the node named in the grain key.
/// When that silo is not active the call fails fast with <see cref="SiloUnavailableException"/>. Pinned grains
/// keep their directory entries on their own silo (<see cref="PinnedGrainDirectory"/>), so this is how
/// every other silo finds them.
/// </summary>
internal sealed class NodePinnedPlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var (application, node) = GrainKeys.Parse(target.GrainIdentity.Key.ToString());
        var compatible = context.GetCompatibleSilos(target);
        SiloAddress? newest = null;
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            // A node restarted after a kill -9 has two Active entries until the old one is declared dead: the newer one is live.
            if (member.Status == SiloStatus.Active && string.Equals(member.Name, node, StringComparison.Ordinal) && compatible.Contains(member.SiloAddress)
                && (newest is null || member.SiloAddress.Generation > newest.Generation))
            {
                newest = member.SiloAddress;
            }
        }

        if (newest is not null)
        {
            return Task.FromResult(newest);
        }

        throw new SiloUnavailableException(
            $"Node '{node}' has no active silo, so its {target.GrainIdentity.Type} for application '{application}' cannot run: pinned grains never activate on another node.");
    }
}
