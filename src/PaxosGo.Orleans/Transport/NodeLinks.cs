using Microsoft.Extensions.Logging;
using PaxosGo.Core;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Orleans.Transport;

/// <summary>
/// This node's links to the other nodes of the mesh. Every grain of the node hands the protocol
/// messages it has for another node to that node's outbox here; the outbox sends whatever
/// accumulated, of every application and role, as one <see cref="LinkBatch"/> with one Ed25519
/// signature to the receiver's <see cref="INodeLinkGrain"/>, which checks it once and relays each
/// message to its grain. A grain queues what one turn sends (<see cref="Send"/>) and then flushes
/// the outboxes (<see cref="FlushAll"/>): a batch carries that turn's messages for the peer and
/// whatever other grains queued meanwhile (no timer, no waiting, no extra hop). The receiving
/// side keeps one <see cref="LinkReplayWindow"/> per sender here too, so that it outlives the link
/// grain's activation. A batch for a node that has no Active silo in Orleans membership is dropped
/// before it is signed, as a message to a crashed node is lost: placing its link grain would fail,
/// and Orleans would log each failure with a stack trace (a node whose peers were down logged
/// megabytes a minute). Thread-safe; one per silo.
/// </summary>
public sealed class NodeLinks
{
    /// <summary>The payload bytes after which an outbox closes a batch and starts the next.</summary>
    public const int BatchBytes = 1024 * 1024;

    private readonly PaxosGoNode _node;
    private readonly IGrainFactory _grains;
    private readonly ILogger<NodeLinks> _logger;
    private readonly IClusterMembershipService? _membership;
    private readonly Outbox?[] _outboxes;
    private readonly LinkReplayWindow[] _windows;

    /// <summary>Creates the links of <paramref name="node"/>; with <paramref name="membership"/>, batches for nodes with no Active silo are dropped unsent.</summary>
    public NodeLinks(PaxosGoNode node, IGrainFactory grains, ILogger<NodeLinks> logger, IClusterMembershipService? membership = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(logger);
        _node = node;
        _grains = grains;
        _logger = logger;
        _membership = membership;
        var mesh = node.Identity.Mesh;
        _outboxes = new Outbox?[mesh.Count];
        _windows = new LinkReplayWindow[mesh.Count];
        for (var i = 0; i < mesh.Count; i++)
        {
            _windows[i] = new LinkReplayWindow();
            if (i != node.Identity.Index) _outboxes[i] = new Outbox(this, i, mesh[i].Name);
        }
    }

    /// <summary>This process's incarnation: its start time in UTC ticks, larger after a restart (unless the clock went back).</summary>
    public long Incarnation { get; } = DateTime.UtcNow.Ticks;

    /// <summary>
    /// Queues <paramref name="payload"/> for <paramref name="role"/> of <paramref name="application"/>
    /// on node <paramref name="to"/> (another node), to go with the next <see cref="FlushAll"/>.
    /// </summary>
    public void Send(int to, string application, Role role, byte[] payload)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(to);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(to, _outboxes.Length);
        var outbox = _outboxes[to] ?? throw new ArgumentException("A node does not send to itself over a link.", nameof(to));
        outbox.Add(new LinkItem(application, (byte)role, payload));
    }

    /// <summary>
    /// Sends everything queued for the other nodes, one batch per peer (of at most
    /// <see cref="BatchBytes"/>). Call it from a grain's turn: the receiver refuses calls that do not
    /// come from a grain of a silo (a client's).
    /// </summary>
    public void FlushAll()
    {
        foreach (var outbox in _outboxes) outbox?.Flush();
    }

    /// <summary>
    /// Refuses a batch from <paramref name="from"/> that this process already received (see
    /// <see cref="LinkReplayWindow"/>); call it once the batch's signature verified.
    /// </summary>
    public void AdmitReceived(int from, long incarnation, ulong sequence)
    {
        var window = _windows[from];
        lock (window) window.Admit(incarnation, sequence, _node.Identity.Mesh[from].Name);
    }

    /// <summary>The highest batch number this process accepted from node <paramref name="from"/> (0 before any): how far that link got.</summary>
    public ulong HighestReceived(int from)
    {
        var window = _windows[from];
        lock (window) return window.Highest;
    }

    /// <summary>Whether node <paramref name="to"/> has an Active silo in membership (always, without membership).</summary>
    private bool IsUp(int to)
    {
        if (_membership is null) return true;
        var snapshot = _membership.CurrentSnapshot;
        var view = Volatile.Read(ref _view);
        if (view is null || !ReferenceEquals(view.Snapshot, snapshot))
        {
            // Worked out once per membership change, not on every flush.
            var up = new bool[_outboxes.Length];
            var mesh = _node.Identity.Mesh;
            foreach (var member in snapshot.Members.Values)
            {
                if (member.Status != SiloStatus.Active) continue;
                for (int i = 0; i < up.Length; i++) up[i] |= string.Equals(member.Name, mesh[i].Name, StringComparison.Ordinal);
            }

            view = new MembershipView(snapshot, up);
            Volatile.Write(ref _view, view);
        }

        return view.Up[to];
    }

    private MembershipView? _view;

    /// <summary>Which nodes have an Active silo, as of one membership snapshot.</summary>
    private sealed record MembershipView(ClusterMembershipSnapshot Snapshot, bool[] Up);

    private sealed class Outbox(NodeLinks links, int to, string toName)
    {
        private readonly List<LinkItem> _items = [];
        private ulong _sequence;

        public void Add(LinkItem item)
        {
            lock (_items) _items.Add(item);
        }

        public void Flush()
        {
            while (true)
            {
                LinkItem[] items;
                ulong sequence;
                lock (_items)
                {
                    if (_items.Count == 0) return;
                    if (!links.IsUp(to))
                    {
                        // Lost, as a message to a crashed node is: the protocol sends again what matters.
                        Metrics.LinkMessages.Add(_items.Count, new KeyValuePair<string, object?>("direction", "dropped"));
                        Log.LinkNotSent(links._logger, null, toName, _items.Count);
                        _items.Clear();
                        return;
                    }

                    items = Take();
                    sequence = ++_sequence;
                }

                try
                {
                    var batch = links._node.Signer.SealBatch(to, links.Incarnation, sequence, items);
                    Metrics.EnvelopeSignatures.Add(1, new KeyValuePair<string, object?>("op", "sign"));
                    Metrics.LinkMessages.Add(items.Length, new KeyValuePair<string, object?>("direction", "sent"));
                    Metrics.LinkBatches.Add(1, new KeyValuePair<string, object?>("direction", "sent"));
                    var link = links._grains.GetGrain<INodeLinkGrain>(GrainKeys.For(links._node.Identity.Name, toName));
                    Observe(link.Post(batch), items.Length);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Lost, as a message on the wire can be: the protocol sends again what matters.
                    Log.LinkNotSent(links._logger, e, toName, items.Length);
                }
            }
        }

        // The items of one batch: up to BatchBytes of payload (at least one item) and MaxBatchItems.
        private LinkItem[] Take()
        {
            int count = 0;
            long bytes = 0;
            while (count < _items.Count && count < EnvelopeEncoding.MaxBatchItems)
            {
                long next = bytes + _items[count].Payload.Length;
                if (count > 0 && next > BatchBytes) break;
                bytes = next;
                count++;
            }

            var taken = _items.GetRange(0, count).ToArray();
            _items.RemoveRange(0, count);
            return taken;
        }

        private void Observe(Task delivery, int messages)
        {
            if (delivery.IsCompletedSuccessfully) return;
            delivery.ContinueWith(
                (t, state) => Log.LinkNotSent(links._logger, t.Exception, toName, (int)state!),
                messages,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted,
                TaskScheduler.Default);
        }
    }
}
