using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;
using PaxosGo.Core;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Placement;
using PaxosGo.Orleans.Transport;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// The receiving end of one node's link from another (key <c>{sender}/{this node}</c>, pinned here):
/// checks each <see cref="LinkBatch"/> once (form, addressing, the sender's signature, then replay)
/// and relays its messages, grouped by application and role, to this node's grains in one attested
/// call per grain. A refused batch is dropped whole, logged and counted; nothing in it is delivered.
/// </summary>
[NodePinnedPlacement]
[GrainDirectory(PinnedGrainDirectory.Name)]
[Immovable(ImmovableKind.Any)]
[Reentrant]
public sealed class NodeLinkGrain(PaxosGoNode node, NodeLinks links, ILogger<NodeLinkGrain> logger)
    : Grain, INodeLinkGrain, IPaxosGoGrain
{
    private int _sender = -1;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (sender, receiver) = GrainKeys.Parse(this.GetPrimaryKeyString());
        if (!string.Equals(receiver, node.Identity.Name, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The link from '{sender}' to '{receiver}' was placed on node '{node.Identity.Name}'; links run only on their receiving node.");
        }

        var index = node.Identity.Mesh.IndexOf(sender);
        if (index < 0 || index == node.Identity.Index)
        {
            throw new InvalidOperationException($"There is no link from '{sender}' to '{receiver}': '{sender}' is not another node of the mesh.");
        }

        _sender = index;
        return base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task Post(LinkBatch batch)
    {
        try
        {
            node.Verifier.VerifyBatch(batch, _sender, node.Identity.Index);
            Metrics.EnvelopeSignatures.Add(1, new KeyValuePair<string, object?>("op", "verify"));
            links.AdmitReceived(_sender, batch.Incarnation, batch.Sequence);
        }
        catch (ProtocolMessageRejectedException e)
        {
            Metrics.MessagesRejected.Add(1, new KeyValuePair<string, object?>("code", e.Code));
            Log.LinkBatchRefused(logger, node.Identity.Mesh[_sender].Name, e.Code, e.Message);
            throw;
        }

        Metrics.LinkBatches.Add(1, new KeyValuePair<string, object?>("direction", "received"));
        Metrics.LinkMessages.Add(batch.Items.Length, new KeyValuePair<string, object?>("direction", "received"));
        // One-way calls: each returns at once; a relay the grain refuses is counted there.
        foreach (var group in Group(batch.Items)) _ = node.Relay(GrainFactory, group);

        return Task.CompletedTask;
    }

    // The items by application and role, each group in the order sent; messages for an application
    // or role this node does not run are refused (counted) without activating anything.
    private List<RelayedMessages> Group(LinkItem[] items)
    {
        var groups = new Dictionary<(string Application, byte Role), List<byte[]>>();
        foreach (var item in items)
        {
            if (!Enum.IsDefined((Role)item.Role) || !node.Runs(item.Application))
            {
                Metrics.MessagesRejected.Add(1, new KeyValuePair<string, object?>("code", RejectionCodes.Misdirected));
                continue;
            }

            if (!groups.TryGetValue((item.Application, item.Role), out var payloads))
            {
                payloads = [];
                groups.Add((item.Application, item.Role), payloads);
            }

            payloads.Add(item.Payload);
        }

        var relayed = new List<RelayedMessages>(groups.Count);
        foreach (var ((application, role), payloads) in groups) relayed.Add(new RelayedMessages(application, role, _sender, payloads.ToArray()));
        return relayed;
    }
}
