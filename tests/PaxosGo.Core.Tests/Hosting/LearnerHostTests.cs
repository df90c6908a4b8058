using PaxosGo.Core.Hosting;
using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Hosting;

public class LearnerHostTests
{
    private static Value ValueFor(ulong slot) => Batch(Cmd("c" + slot, 1));

    private static Learner NewLearner(LearnerOptions? options = null) =>
        new(N0, Nodes, new CounterStateMachine(), null, Array.Empty<LogEntry>(), options);

    [Fact]
    public void ChosenValuesInOneBatch_AreAppliedInSlotOrder_AndTheProposerIsToldHowFar()
    {
        var host = new LearnerHost("app", NewLearner());

        var ready = host.Step([new Chosen(N1, 1, ValueFor(1)), new Chosen(N1, 0, ValueFor(0))]);

        Assert.Equal([0UL, 1UL], ready.Entries.Select(e => e.Slot));
        Assert.Equal(["c0", "c1"], ready.Applied.Select(a => a.Command.ClientId));
        Assert.Equal(2UL, ready.LearnedBelow);
        Assert.False(ready.RegistryChanged);
        Assert.False(ready.HasJournalWrite); // learners never write the journal
    }

    [Fact]
    public void ASnapshotInstalledInABatch_CoversTheEntriesAppliedBeforeIt_SoEntriesStartAfterIt()
    {
        // A peer far ahead, whose catch-up reply carries a snapshot at slot 4 and the entry 4.
        var source = NewLearner(new LearnerOptions { SnapshotInterval = 2 });
        for (ulong slot = 0; slot < 5; slot++) source.Handle(new Chosen(N1, slot, ValueFor(slot)));
        var reply = Assert.IsType<CatchUpReply>(Assert.Single(source.Handle(new CatchUpRequest(N0, 0)).Messages).Message);
        Assert.Equal(4UL, reply.Snapshot?.NextSlot);
        var host = new LearnerHost("app", NewLearner(new LearnerOptions { SnapshotInterval = 2 }));

        var ready = host.Step([new Chosen(N1, 0, ValueFor(0)), reply]);

        Assert.NotNull(ready.Installed);
        Assert.Equal(4UL, ready.Installed.NextSlot);
        Assert.Equal([4UL], ready.Entries.Select(e => e.Slot));
        Assert.True(ready.RegistryChanged);
        Assert.Equal(5UL, ready.LearnedBelow);
        Assert.Equal(source.Replica.TakeSnapshot(), host.Learner.Replica.TakeSnapshot());
    }

    [Fact]
    public void SnapshotNow_AsksToSaveASnapshotOfEverythingApplied()
    {
        var host = new LearnerHost("app", NewLearner());
        host.Advance(host.Step([new Chosen(N1, 0, ValueFor(0)), new Chosen(N1, 1, ValueFor(1))]));

        var ready = host.Step(SnapshotNow.Instance);

        Assert.NotNull(ready.Snapshot);
        Assert.Equal(2UL, ready.Snapshot.NextSlot);
        Assert.Equal(host.Learner.Replica.TakeSnapshot(), ready.Snapshot.Data);
    }
}
