using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Unit;

public class LearnerTests
{
    private static readonly Value ValueA = Batch(Cmd("a", 1));
    private static readonly Value ValueB = Batch(Cmd("b", 1));

    private static Learner NewLearner(LearnerOptions? options = null) =>
        new(N0, Nodes, new CounterStateMachine(), null, Array.Empty<LogEntry>(), options);

    /// <summary>A distinct one-command value per slot.</summary>
    private static Value ValueFor(ulong slot) => Batch(Cmd("c" + slot, 1));

    private static List<LearnerStep> Feed(Learner learner, ulong fromSlot, ulong toSlotExclusive)
    {
        var steps = new List<LearnerStep>();
        for (ulong slot = fromSlot; slot < toSlotExclusive; slot++)
        {
            steps.Add(learner.Handle(new Chosen(N1, slot, ValueFor(slot))));
        }

        return steps;
    }

    private static CatchUpReply ReplyOf(LearnerStep step) =>
        Assert.IsType<CatchUpReply>(Assert.Single(step.Messages).Message);

    [Fact]
    public void Learner_ChosenForNextSlot_IsAppliedAppendedAndReported()
    {
        var learner = NewLearner();
        var command = Cmd("c1", 1);

        var step = learner.Handle(new Chosen(N1, 0, Batch(command)));

        Assert.Equal(1UL, learner.NextSlot);
        Assert.Equal(1UL, learner.Replica.State);
        Assert.Equal([new LogEntry(0, Batch(command))], step.Append);
        var applied = Assert.Single(step.Applied);
        Assert.Equal(0UL, applied.Slot);
        Assert.Equal(command, applied.Command);
        Assert.Equal(ApplyOutcome.Executed, applied.Outcome);
        Assert.NotNull(applied.Result);
        Assert.Equal(1UL, applied.Result.State);
    }

    [Fact]
    public void Learner_BuffersOutOfOrderChosen_AndAppliesInSlotOrderOnceTheGapFills()
    {
        var learner = NewLearner();

        var s2 = learner.Handle(new Chosen(N1, 2, ValueFor(2)));
        var s1 = learner.Handle(new Chosen(N1, 1, ValueFor(1)));

        Assert.Empty(s2.Applied);
        Assert.Empty(s1.Applied);
        Assert.Empty(s2.Append);
        Assert.Equal(0UL, learner.NextSlot);
        Assert.Equal(0UL, learner.Replica.State);

        var s0 = learner.Handle(new Chosen(N1, 0, ValueFor(0)));

        Assert.Equal(3UL, learner.NextSlot);
        Assert.Equal(3UL, learner.Replica.State);
        Assert.Equal([0UL, 1UL, 2UL], s0.Applied.Select(a => a.Slot));
        Assert.Equal([ValueFor(0).Commands[0], ValueFor(1).Commands[0], ValueFor(2).Commands[0]], s0.Applied.Select(a => a.Command));
        Assert.Equal([0UL, 1UL, 2UL], s0.Append.Select(e => e.Slot));
        Assert.Equal([1UL, 2UL, 3UL], s0.Applied.Select(a => a.Result!.State));
    }

    [Fact]
    public void Learner_ChosenForAnAppliedSlot_IsIgnored()
    {
        var learner = NewLearner();
        learner.Handle(new Chosen(N1, 0, ValueA));

        var again = learner.Handle(new Chosen(N2, 0, ValueA));

        Assert.Empty(again.Applied);
        Assert.Empty(again.Append);
        Assert.Equal(1UL, learner.NextSlot);
        Assert.Equal(1UL, learner.Replica.State);
    }

    [Fact]
    public void Learner_NoOpSlot_AdvancesNextSlot_WithoutChangingState()
    {
        var learner = NewLearner();
        learner.Handle(new Chosen(N1, 0, ValueA));

        var step = learner.Handle(new Chosen(N1, 1, Value.NoOp));

        Assert.Equal(2UL, learner.NextSlot);
        Assert.Equal(1UL, learner.Replica.State);
        Assert.Empty(step.Applied);
        Assert.Equal([new LogEntry(1, Value.NoOp)], step.Append);
    }

    [Fact]
    public void Learner_SameCommandInALaterSlot_IsReportedDuplicate_WithTheCachedResult()
    {
        var learner = NewLearner();
        var first = learner.Handle(new Chosen(N1, 0, Batch(Cmd("c1", 1))));

        var second = learner.Handle(new Chosen(N1, 1, Batch(Cmd("c1", 1))));

        var applied = Assert.Single(second.Applied);
        Assert.Equal(ApplyOutcome.Duplicate, applied.Outcome);
        Assert.Same(first.Applied[0].Result, applied.Result);
        Assert.Equal(1UL, learner.Replica.State);
        Assert.Equal(2UL, learner.NextSlot);
    }

    [Fact]
    public void Learner_MajorityOfAcceptedInOneBallot_LearnsTheValue()
    {
        var learner = NewLearner();

        var one = learner.Handle(new Accepted(N1, B(1, N1), 0, ValueA));
        Assert.Equal(0UL, learner.NextSlot);
        Assert.Empty(one.Applied);

        var two = learner.Handle(new Accepted(N2, B(1, N1), 0, ValueA));

        Assert.Equal(1UL, learner.NextSlot);
        Assert.Equal(ValueA.Commands[0], Assert.Single(two.Applied).Command);
    }

    [Fact]
    public void Learner_AcceptedFromDifferentBallots_DoNotAddUp()
    {
        var learner = NewLearner();

        learner.Handle(new Accepted(N0, B(1, N0), 0, ValueA));
        var mixed = learner.Handle(new Accepted(N1, B(2, N1), 0, ValueB));

        Assert.Equal(0UL, learner.NextSlot);
        Assert.Empty(mixed.Applied);

        var majority = learner.Handle(new Accepted(N2, B(2, N1), 0, ValueB));

        Assert.Equal(1UL, learner.NextSlot);
        Assert.Equal(ValueB.Commands[0], Assert.Single(majority.Applied).Command);
    }

    [Fact]
    public void Learner_TheSameAcceptorVotingTwice_IsNotAMajority()
    {
        var learner = NewLearner();

        learner.Handle(new Accepted(N1, B(1, N1), 0, ValueA));
        learner.Handle(new Accepted(N1, B(1, N1), 0, ValueA));

        Assert.Equal(0UL, learner.NextSlot);
        Assert.Equal(0UL, learner.Replica.State);
    }

    [Fact]
    public void Learner_ValueLearnedFromVotesAheadOfTheGap_WaitsForTheGap()
    {
        var learner = NewLearner();
        learner.Handle(new Accepted(N1, B(1, N1), 1, ValueB));
        learner.Handle(new Accepted(N2, B(1, N1), 1, ValueB));
        Assert.Equal(0UL, learner.NextSlot);

        var step = learner.Handle(new Chosen(N1, 0, ValueA));

        Assert.Equal(2UL, learner.NextSlot);
        Assert.Equal([ValueA.Commands[0], ValueB.Commands[0]], step.Applied.Select(a => a.Command));
    }

    [Fact]
    public void Learner_DropsChosenTooFarAhead_InsteadOfBufferingIt()
    {
        var learner = NewLearner(new LearnerOptions { MaxBufferedAhead = 2 });

        learner.Handle(new Chosen(N1, 2, ValueFor(2)));
        learner.Handle(new Chosen(N1, 1, ValueFor(1)));
        learner.Handle(new Chosen(N1, 0, ValueFor(0)));

        Assert.Equal(2UL, learner.NextSlot);
        Assert.Equal(2UL, learner.Replica.State);
    }

    [Fact]
    public void Learner_Heartbeat_IsAnsweredWithItsSnapshotFrontierAsDurable_AndItsAppliedFrontier()
    {
        var learner = NewLearner();
        Feed(learner, 0, 2);

        var step = learner.Handle(new Heartbeat(N2, B(3, N2), 2));

        var (to, status) = Assert.Single(Sent<LearnerStatus>(step.Messages, Role.Proposer));
        Assert.Equal(N2, to);
        // Applied two slots, but no snapshot holds them yet: nothing is durable.
        Assert.Equal(new LearnerStatus(N0, 0, 2), status);
    }

    [Fact]
    public void Learner_ReportsEachSnapshotToTheLeaderInTheStepThatSavesIt_WithoutWaitingForAHeartbeat()
    {
        var learner = NewLearner(new LearnerOptions { SnapshotInterval = 4 });
        learner.Handle(new Heartbeat(N2, B(3, N2), 0)); // the leader is N2

        var steps = Enumerable.Range(0, 4).Select(slot => learner.Handle(new Chosen(N2, (ulong)slot, ValueFor((ulong)slot)))).ToList();

        Assert.All(steps.Take(3), s => Assert.Empty(Sent<LearnerStatus>(s.Messages, Role.Proposer)));
        var last = steps[^1];
        Assert.Equal(4UL, last.SaveSnapshot!.NextSlot);
        var (to, status) = Assert.Single(Sent<LearnerStatus>(last.Messages, Role.Proposer));
        Assert.Equal((N2, new LearnerStatus(N0, 4, 4)), (to, status));
    }

    [Fact]
    public void Learner_HeartbeatShowingItIsBehind_AsksAPeerLearnerToCatchUp()
    {
        var learner = NewLearner();

        var step = learner.Handle(new Heartbeat(N2, B(3, N2), 5));

        Assert.Equal(5UL, learner.KnownChosenBelow);
        var (to, request) = Assert.Single(Sent<CatchUpRequest>(step.Messages, Role.Learner));
        Assert.Contains(to, new[] { N1, N2 });
        Assert.Equal(new CatchUpRequest(N0, 0), request);
    }

    [Fact]
    public void Learner_CatchUpRequest_IsAnsweredWithTheRetainedEntriesFromTheRequestedSlot()
    {
        var learner = NewLearner();
        Feed(learner, 0, 4);

        var step = learner.Handle(new CatchUpRequest(N2, 1));

        var envelope = Assert.Single(step.Messages);
        Assert.Equal((N2, Role.Learner), (envelope.To, envelope.Role));
        var reply = Assert.IsType<CatchUpReply>(envelope.Message);
        Assert.Equal(N0, reply.From);
        Assert.Null(reply.Snapshot);
        Assert.Equal(4UL, reply.NextSlot);
        Assert.Equal([new LogEntry(1, ValueFor(1)), new LogEntry(2, ValueFor(2)), new LogEntry(3, ValueFor(3))], reply.Entries);
    }

    [Fact]
    public void Learner_CatchUpReply_HoldsAtMostMaxCatchUpEntries()
    {
        var learner = NewLearner(new LearnerOptions { MaxCatchUpEntries = 2 });
        Feed(learner, 0, 4);

        var reply = ReplyOf(learner.Handle(new CatchUpRequest(N2, 1)));

        Assert.Equal([1UL, 2UL], reply.Entries.Select(e => e.Slot));
    }

    [Fact]
    public void Learner_CatchUpRequestAtItsFrontier_GetsNoEntries()
    {
        var learner = NewLearner();
        Feed(learner, 0, 3);

        var reply = ReplyOf(learner.Handle(new CatchUpRequest(N1, 3)));

        Assert.Empty(reply.Entries);
        Assert.Null(reply.Snapshot);
        Assert.Equal(3UL, reply.NextSlot);
    }

    [Fact]
    public void Learner_CatchUpRequestBelowTheRetainedLog_IsAnsweredWithTheSnapshotThenLaterEntries()
    {
        var learner = NewLearner(new LearnerOptions { SnapshotInterval = 2 });
        Feed(learner, 0, 5);
        Assert.NotNull(learner.LastSnapshot);
        Assert.Equal(4UL, learner.LastSnapshot.NextSlot);

        var reply = ReplyOf(learner.Handle(new CatchUpRequest(N1, 0)));

        Assert.NotNull(reply.Snapshot);
        Assert.Equal(4UL, reply.Snapshot.NextSlot);
        Assert.Equal(learner.LastSnapshot.Data, reply.Snapshot.Data);
        Assert.Equal([new LogEntry(4, ValueFor(4))], reply.Entries);
        Assert.Equal(5UL, reply.NextSlot);
    }

    [Fact]
    public void Learner_CatchUpReplyWithASnapshotAhead_InstallsIt_ThenAppliesTheEntries()
    {
        var source = NewLearner(new LearnerOptions { SnapshotInterval = 2 });
        Feed(source, 0, 5);
        var reply = ReplyOf(source.Handle(new CatchUpRequest(N0, 0)));
        Assert.NotNull(reply.Snapshot);
        var lagging = NewLearner(new LearnerOptions { SnapshotInterval = 2 });

        var step = lagging.Handle(reply);

        Assert.NotNull(step.SaveSnapshot);
        Assert.Equal(4UL, step.SaveSnapshot.NextSlot);
        Assert.Equal(reply.Snapshot.Data, step.SaveSnapshot.Data);
        Assert.Equal(5UL, lagging.NextSlot);
        Assert.Equal(source.Replica.State, lagging.Replica.State);
        Assert.Equal(source.Replica.TakeSnapshot(), lagging.Replica.TakeSnapshot());
        Assert.Equal([4UL], step.Applied.Select(a => a.Slot));
        Assert.Contains(new LogEntry(4, ValueFor(4)), step.Append);
    }

    [Fact]
    public void Learner_CatchUpReplyWithASnapshotNotAhead_LeavesStateAlone()
    {
        var source = NewLearner(new LearnerOptions { SnapshotInterval = 2 });
        Feed(source, 0, 5);
        var reply = ReplyOf(source.Handle(new CatchUpRequest(N0, 0)));
        var upToDate = NewLearner();
        Feed(upToDate, 0, 5);
        var before = upToDate.Replica.TakeSnapshot();

        var step = upToDate.Handle(reply);

        Assert.Null(step.SaveSnapshot);
        Assert.Empty(step.Applied);
        Assert.Equal(5UL, upToDate.NextSlot);
        Assert.Equal(before, upToDate.Replica.TakeSnapshot());
    }

    [Fact]
    public void Learner_InstallingASnapshot_AppliesBufferedSlotsThatDirectlyFollowIt()
    {
        // The source's log is trimmed past slot 0, so it answers with its snapshot at slot 4 and,
        // being at slot 4 itself, no entries.
        var source = NewLearner(new LearnerOptions { SnapshotInterval = 2 });
        Feed(source, 0, 4);
        var reply = ReplyOf(source.Handle(new CatchUpRequest(N0, 0)));
        Assert.NotNull(reply.Snapshot);
        Assert.Equal(4UL, reply.Snapshot.NextSlot);
        Assert.Empty(reply.Entries);
        // The lagging learner missed slots 0..3 but already holds the chosen values of 4 and 5.
        var lagging = NewLearner();
        lagging.Handle(new Chosen(N1, 4, ValueFor(4)));
        lagging.Handle(new Chosen(N1, 5, ValueFor(5)));

        var step = lagging.Handle(reply);

        Assert.Equal(6UL, lagging.NextSlot);
        Assert.Equal(source.Replica.State + 2, lagging.Replica.State);
        Assert.Equal([4UL, 5UL], step.Applied.Select(a => a.Slot));
    }

    [Fact]
    public void Learner_CaughtUpAfterASnapshotInstall_NoLongerAsksPeersToCatchUp()
    {
        var source = NewLearner(new LearnerOptions { SnapshotInterval = 2 });
        Feed(source, 0, 4);
        var reply = ReplyOf(source.Handle(new CatchUpRequest(N0, 0)));
        var lagging = NewLearner();
        lagging.Handle(new Chosen(N1, 4, ValueFor(4)));
        lagging.Handle(new Chosen(N1, 5, ValueFor(5)));
        lagging.Handle(reply);
        // The leader retransmits slot 4: whatever the learner did with its buffer, it is now at slot 6.
        lagging.Handle(new Chosen(N1, 4, ValueFor(4)));
        Assert.Equal(6UL, lagging.NextSlot);
        Assert.Equal(6UL, lagging.KnownChosenBelow);

        // The first tick may send an anti-entropy request (the learner has never asked a peer); one
        // catch-up retry period later (default options), a learner that is not behind stays quiet.
        lagging.Tick(0);
        var step = lagging.Tick(new LearnerOptions().CatchUpRetryTicks);

        Assert.Empty(Sent<CatchUpRequest>(step.Messages, Role.Learner));
    }

    [Fact]
    public void Learner_SnapshotInterval_SavesASnapshotEveryIntervalSlots()
    {
        var learner = NewLearner(new LearnerOptions { SnapshotInterval = 3 });

        var steps = Feed(learner, 0, 6);

        Assert.Equal([false, false, true, false, false, true], steps.Select(s => s.SaveSnapshot is not null));
        Assert.Equal(3UL, steps[2].SaveSnapshot!.NextSlot);
        Assert.Equal(6UL, steps[5].SaveSnapshot!.NextSlot);
        Assert.Equal(learner.Replica.TakeSnapshot(), steps[5].SaveSnapshot!.Data);
        Assert.Same(steps[5].SaveSnapshot, learner.LastSnapshot);
    }

    [Fact]
    public void Learner_RebuiltFromItsSavedSnapshotAndLog_HasTheSameFrontierAndReplicaState()
    {
        var options = new LearnerOptions { SnapshotInterval = 3 };
        var original = NewLearner(options);
        Value[] values =
        [
            Batch(Cmd("c1", 1)),
            Batch(AddCmd("c2", 1, 40), Cmd("c3", 1)),
            Value.NoOp,
            Batch(Cmd("c1", 2)),
            Batch(Cmd("c1", 2)), // duplicate
            Batch(Cmd("c1", 1)), // stale
            Batch(AddCmd("c2", 2, 1000)),
            Batch(Cmd("c4", 9)),
        ];

        // What a host following each step's instructions has saved.
        Snapshot? saved = null;
        var log = new List<LogEntry>();
        for (int i = 0; i < values.Length; i++)
        {
            var step = original.Handle(new Chosen(N1, (ulong)i, values[i]));
            if (step.SaveSnapshot is { } snapshot)
            {
                saved = snapshot;
                log.RemoveAll(e => e.Slot < snapshot.NextSlot);
            }

            log.AddRange(step.Append.Where(e => saved is null || e.Slot >= saved.NextSlot));
        }

        Assert.NotNull(saved);
        Assert.Equal(6UL, saved.NextSlot);

        var rebuilt = new Learner(N0, Nodes, new CounterStateMachine(), saved, log, options);

        Assert.Equal(8UL, original.NextSlot);
        Assert.Equal(original.NextSlot, rebuilt.NextSlot);
        Assert.Equal(original.Replica.State, rebuilt.Replica.State);
        Assert.Equal(Total(original.Replica), Total(rebuilt.Replica));
        Assert.Equal(original.Replica.TakeSnapshot(), rebuilt.Replica.TakeSnapshot());
    }

    [Fact]
    public void Learner_RebuiltFromALogWithAGap_IsRejected()
    {
        LogEntry[] log = [new LogEntry(0, ValueA), new LogEntry(2, ValueB)];

        Assert.Throws<InvalidDataException>(() => new Learner(N0, Nodes, new CounterStateMachine(), null, log));
    }
}
