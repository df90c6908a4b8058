using System.Globalization;
using Orleans.Concurrency;
using Orleans.GrainDirectory;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Placement;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// A back-end client's way in through the gateway that carries its call (<see cref="IClientEntryGrain"/>):
/// a stateless worker on that gateway's silo, which hands the session command to the session node's
/// <see cref="IClientGatewayGrain"/> and says in the reply where it came in.
/// </summary>
[StatelessWorker]
[Reentrant]
// Placement looks the target up in its type's directory first: the pinned directory answers from this
// silo (see ApplicationGrain).
[GrainDirectory(PinnedGrainDirectory.Name)]
public sealed class ClientEntryGrain(PaxosGoNode local) : Grain, IClientEntryGrain, IPaxosGoGrain
{
    private string _application = "";

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        string key = this.GetPrimaryKeyString();
        int slash = key.LastIndexOf('/');
        string application = slash > 0 ? key[..slash] : key;
        if (!local.Runs(application))
        {
            throw new UnknownApplicationException($"Application '{(GrainKeys.IsValidName(application) ? application : "(invalid name)")}' is not configured on this cluster.");
        }

        // A few aliases only: each is an activation on every silo, and a client must not make more.
        string alias = slash > 0 ? key[(slash + 1)..] : "";
        if (!int.TryParse(alias, NumberStyles.None, CultureInfo.InvariantCulture, out int index)
            || index >= IClientEntryGrain.Aliases
            || alias != index.ToString(CultureInfo.InvariantCulture))
        {
            throw new ArgumentException($"An entry's key is the application and an alias from 0 to {IClientEntryGrain.Aliases - 1} ('{application}/0').");
        }

        _application = application;
        return base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<CommandReply> Submit(string node, SessionCommand command)
    {
        if (node is null || local.Identity.Mesh.FindByName(node) is null)
        {
            var rejected = CommandGate.Reject(CommandRejectionCodes.Malformed, "The node named for the session is not a node of the mesh.");
            CommandGate.Count(rejected);
            throw rejected;
        }

        var reply = await GrainFactory.GetGrain<IClientGatewayGrain>(GrainKeys.For(_application, node)).Submit(command);
        return reply with { EnteredAt = local.Identity.Name };
    }
}
