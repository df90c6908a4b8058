using System.Collections.Immutable;
using PaxosGo.Core.Journal;
using PaxosGo.Core.Journal.Records;
using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Unit;

public sealed class NodeJournalTests
{
    private static AcceptorState Voted(Ballot promised, ulong truncatedBelow, params (ulong Slot, Ballot Ballot, Value Value)[] votes) =>
        new(promised, truncatedBelow, votes.ToImmutableSortedDictionary(v => v.Slot, v => new AcceptedEntry(v.Slot, v.Ballot, v.Value)));

    /// <summary>Appends one batch holding <paramref name="after"/>'s change for <paramref name="app"/>; returns the frame.</summary>
    private static byte[] Append(NodeJournal journal, string app, AcceptorState after, ProposerState? round = null)
    {
        var change = NodeJournal.Change(app, journal.Acceptor(app), after);
        var batch = journal.NextBatch(change is null ? [] : [change], round is null ? [] : [NodeJournal.Round(app, round)]);
        journal.Apply(batch);
        return NodeJournal.Frame(batch);
    }

    [Fact]
    public void ReplayingTheLog_RebuildsEveryApplicationsAcceptorAndProposer()
    {
        var writer = new NodeJournal();
        var log = new List<byte>();
        var a1 = Voted(B(1, N0), 0, (0, B(1, N0), Batch(Cmd("c", 1))));
        var a2 = Voted(B(2, N1), 0, (0, B(1, N0), Batch(Cmd("c", 1))), (1, B(2, N1), Value.NoOp));
        var a3 = Voted(B(2, N1), 1, (1, B(2, N1), Value.NoOp), (2, B(2, N1), Batch(AddCmd("d", 7, 9))));
        log.AddRange(Append(writer, "kv", a1, new ProposerState(4)));
        log.AddRange(Append(writer, "counter", a2));
        log.AddRange(Append(writer, "kv", a3));

        var reader = new NodeJournal();
        int valid = reader.Replay(log.ToArray());

        Assert.Equal(log.Count, valid);
        Assert.Equal(3UL, reader.Sequence);
        Assert.Equivalent(a3, reader.Acceptor("kv"));
        Assert.Equivalent(a2, reader.Acceptor("counter"));
        Assert.Equal(new ProposerState(4), reader.Proposer("kv"));
        Assert.Equal(ProposerState.Initial, reader.Proposer("counter"));
    }

    [Fact]
    public void AnAcceptThatChangesNothing_WritesNothing()
    {
        var state = Voted(B(1, N0), 0, (0, B(1, N0), Batch(Cmd("c", 1))));
        var same = Voted(B(1, N0), 0, (0, B(1, N0), Batch(Cmd("c", 1))));

        Assert.Null(NodeJournal.Change("kv", state, same));
        Assert.NotNull(NodeJournal.Change("kv", state, same with { Promised = B(2, N1) }));
    }

    [Fact]
    public void ATornLastFrame_IsDroppedWithEverythingAfterIt_WhereverTheCrashCutIt()
    {
        var writer = new NodeJournal();
        byte[] first = Append(writer, "kv", Voted(B(1, N0), 0));
        byte[] second = Append(writer, "kv", Voted(B(2, N0), 0, (0, B(2, N0), Batch(Cmd("c", 1)))));

        for (int cut = 1; cut < second.Length; cut++)
        {
            var reader = new NodeJournal();
            int valid = reader.Replay([.. first, .. second.AsSpan(0, cut)]);

            Assert.Equal(first.Length, valid);
            Assert.Equal(B(1, N0), reader.Acceptor("kv").Promised);
        }
    }

    [Fact]
    public void AFrameThatFailsItsChecksum_EndsTheLog()
    {
        var writer = new NodeJournal();
        byte[] first = Append(writer, "kv", Voted(B(1, N0), 0));
        byte[] second = Append(writer, "kv", Voted(B(2, N0), 0));
        byte[] third = Append(writer, "kv", Voted(B(3, N0), 0));
        second[^1] ^= 0x40;

        var reader = new NodeJournal();
        int valid = reader.Replay([.. first, .. second, .. third]);

        Assert.Equal(first.Length, valid);
        Assert.Equal(1UL, reader.Sequence);
    }

    [Fact]
    public void ABatchWrittenTwiceByARetriedAppend_IsAppliedOnce_AndAGapEndsTheLog()
    {
        var writer = new NodeJournal();
        byte[] first = Append(writer, "kv", Voted(B(1, N0), 0));
        byte[] second = Append(writer, "kv", Voted(B(2, N0), 0));
        _ = Append(writer, "kv", Voted(B(3, N0), 0));
        byte[] fourth = Append(writer, "kv", Voted(B(4, N0), 0));

        var twice = new NodeJournal();
        Assert.Equal(first.Length + (2 * second.Length), twice.Replay([.. first, .. second, .. second]));
        Assert.Equal(2UL, twice.Sequence);

        var gap = new NodeJournal();
        Assert.Equal(first.Length + second.Length, gap.Replay([.. first, .. second, .. fourth]));
        Assert.Equal(B(2, N0), gap.Acceptor("kv").Promised);
    }

    [Fact]
    public void ACheckpoint_HoldsTheWholeState_AndTheLogAfterItContinuesIt()
    {
        var writer = new NodeJournal();
        Append(writer, "kv", Voted(B(1, N0), 0, (0, B(1, N0), Batch(Cmd("c", 1)))), new ProposerState(2));
        Append(writer, "kv", Voted(B(1, N0), 1));
        byte[] checkpoint = writer.TakeCheckpoint();
        byte[] after = Append(writer, "kv", Voted(B(5, N2), 1, (1, B(5, N2), Batch(Cmd("c", 2)))));

        var reader = NodeJournal.FromCheckpoint(checkpoint);
        Assert.Equal(2UL, reader.Sequence);
        Assert.Empty(reader.Acceptor("kv").Accepted); // truncated below 1
        Assert.Equal(new ProposerState(2), reader.Proposer("kv"));
        Assert.Equal(after.Length, reader.Replay(after));
        Assert.Equivalent(writer.Acceptor("kv"), reader.Acceptor("kv"));

        checkpoint[^1] ^= 1;
        Assert.Throws<InvalidDataException>(() => NodeJournal.FromCheckpoint(checkpoint));
    }

    [Fact]
    public void ABatchMustBeTheNextOne()
    {
        var journal = new NodeJournal();

        Assert.Throws<InvalidOperationException>(() => journal.Apply(new Batch { Sequence = 2 }));
    }
}
