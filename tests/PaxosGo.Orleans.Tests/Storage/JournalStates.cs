using System.Collections.Immutable;
using PaxosGo.Core;
using PaxosGo.Core.Journal;
using PaxosGo.Orleans.Storage;

namespace PaxosGo.Orleans.Tests.Storage;

/// <summary>Acceptor states and changes the journal tests write, whatever the journal.</summary>
internal static class JournalStates
{
    /// <summary>Promised round <paramref name="round"/> of node 1, with a vote of that ballot (a command of <paramref name="payloadBytes"/> bytes) in each slot.</summary>
    public static AcceptorState Promised(ulong round, int payloadBytes, params ulong[] slots) =>
        new(new Ballot(round, new NodeId(1)), 0, slots.ToImmutableSortedDictionary(
            s => s, s => new AcceptedEntry(s, new Ballot(round, new NodeId(1)), Value.Batch([new Command("c", s + 1, Enumerable.Repeat((byte)s, payloadBytes).ToArray())]))));

    /// <summary>Makes the change from <paramref name="before"/> to <paramref name="after"/> durable.</summary>
    public static Task AppendAsync(INodeLog log, string app, AcceptorState before, AcceptorState after) =>
        log.AppendAsync(NodeJournal.Change(app, before, after), null);
}
