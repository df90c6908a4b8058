using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Unit;

public class ProposerTests
{
    private static readonly AcceptedEntry[] NoVotes = [];

    private static Proposer NewProposer(ProposerOptions? options = null, ProposerState? durable = null) =>
        new(N0, Nodes, durable ?? ProposerState.Initial, new Random(1234), options);

    private static Promise EmptyPromise(NodeId from, Ballot ballot) => new(from, ballot, 0, NoVotes);

    /// <summary>Submits <paramref name="commands"/> to a fresh proposer and hands it promises from n0 and n1.</summary>
    private static ProposerStep Elect(Proposer proposer, params Command[] commands)
    {
        proposer.Handle(new Submit(N0, commands));
        Assert.Equal(ProposerRole.Candidate, proposer.Standing);
        proposer.Handle(EmptyPromise(N0, proposer.Ballot));
        var step = proposer.Handle(EmptyPromise(N1, proposer.Ballot));
        Assert.Equal(ProposerRole.Leader, proposer.Standing);
        return step;
    }

    /// <summary>The distinct Accepts of a step, by slot, after checking each went to every acceptor.</summary>
    private static List<Accept> Proposals(ProposerStep step)
    {
        var sent = Sent<Accept>(step.Messages, Role.Acceptor);
        var bySlot = sent.GroupBy(m => m.Message.Slot).OrderBy(g => g.Key).ToList();
        foreach (var group in bySlot)
        {
            Assert.Equal(Nodes, group.Select(m => m.To).Order());
            Assert.Single(group.Select(m => m.Message).Distinct());
        }

        return bySlot.Select(g => g.First().Message).ToList();
    }

    [Fact]
    public void ThriftyLeader_SendsEachAcceptToItselfAndThePeerThatVotedLast_RetriesToEveryNonVoter_AndThenPrefersWhoAnswered()
    {
        var proposer = NewProposer(new ProposerOptions { ThriftyAccepts = true, Window = 1, MaxBatch = 1, RetryTicks = 5 });
        var step = Elect(proposer, Cmd("c1", 1), Cmd("c2", 2), Cmd("c3", 3));

        // No votes yet: itself and the lowest other id. A bare majority, not every acceptor.
        var first = Sent<Accept>(step.Messages, Role.Acceptor);
        Assert.Equal([N0, N1], first.Select(m => m.To).Order());
        Ballot ballot = proposer.Ballot;

        // n1 never answers; after RetryTicks the slot goes to every acceptor that has not voted.
        proposer.Handle(new Accepted(N0, ballot, 0, first[0].Message.Value));
        var retry = Sent<Accept>(proposer.Tick(5).Messages, Role.Acceptor);
        Assert.Equal([N1, N2], retry.Select(m => m.To).Order());

        // n2 answers: slot 0 is chosen, and the next slot goes to n2, who voted last, not to the silent n1.
        var chosen = proposer.Handle(new Accepted(N2, ballot, 0, first[0].Message.Value));
        Assert.Contains(chosen.Messages, m => m.Message is Chosen { Slot: 0 });
        var next = Sent<Accept>(chosen.Messages, Role.Acceptor);
        Assert.Equal([N0, N2], next.Select(m => m.To).Order());
        Assert.All(next, m => Assert.Equal(1UL, m.Message.Slot));
    }

    [Fact]
    public void Proposer_SubmitOnFreshFollower_PersistsRoundOne_AndSendsPrepareToEveryAcceptor()
    {
        var proposer = NewProposer();
        Assert.Equal(ProposerRole.Follower, proposer.Standing);

        var step = proposer.Submit(Cmd("c1", 1));

        Assert.Equal(new ProposerState(1), step.Persist);
        Assert.Equal(new ProposerState(1), proposer.State);
        Assert.Equal(ProposerRole.Candidate, proposer.Standing);
        Assert.Equal(B(1, N0), proposer.Ballot);
        var prepares = Sent<Prepare>(step.Messages, Role.Acceptor);
        Assert.Equal(Nodes, prepares.Select(p => p.To));
        Assert.All(prepares, p => Assert.Equal(new Prepare(N0, B(1, N0), 0), p.Message));
        Assert.Equal(3, step.Messages.Count);
    }

    [Fact]
    public void Follower_WithALocalVoteItsLearnerHasNotApplied_AndNoLeader_StandsForElection()
    {
        var proposer = NewProposer();
        proposer.NoteLearned(18);
        proposer.NoteVoted(19); // the acceptor voted in slot 18; nobody leads; no command is waiting

        var step = proposer.Tick(10_000);

        Assert.Equal(ProposerRole.Candidate, proposer.Standing);
        var prepares = Sent<Prepare>(step.Messages, Role.Acceptor);
        Assert.Equal(Nodes, prepares.Select(p => p.To));
        Assert.All(prepares, p => Assert.Equal(18UL, p.Message.FromSlot)); // recovery starts at the unlearned vote
    }

    [Fact]
    public void Follower_WhoseLearnerHoldsEveryLocalVote_StaysIdleWithoutCommands()
    {
        var proposer = NewProposer();
        proposer.NoteVoted(19);
        proposer.NoteLearned(19);

        var step = proposer.Tick(10_000);

        Assert.Equal(ProposerRole.Follower, proposer.Standing);
        Assert.Empty(step.Messages);
    }

    [Fact]
    public void Proposer_RestartedWithMaxRoundFive_UsesARoundAboveIt()
    {
        var proposer = NewProposer(durable: new ProposerState(5));

        var step = proposer.Submit(Cmd("c1", 1));

        Assert.NotNull(step.Persist);
        Assert.True(step.Persist.MaxRound >= 6);
        Assert.True(proposer.Ballot.Round >= 6);
        Assert.Equal(step.Persist.MaxRound, proposer.Ballot.Round);
        Assert.All(Sent<Prepare>(step.Messages, Role.Acceptor), p => Assert.Equal(proposer.Ballot, p.Message.Ballot));
    }

    [Fact]
    public void Proposer_OnePromiseOfThree_IsNotAMajority_SoItStaysCandidate()
    {
        var proposer = NewProposer();
        proposer.Submit(Cmd("c1", 1));

        var step = proposer.Handle(EmptyPromise(N2, proposer.Ballot));

        Assert.Equal(ProposerRole.Candidate, proposer.Standing);
        Assert.Empty(step.Messages);
    }

    [Fact]
    public void Proposer_PromiseForAnotherBallot_DoesNotCount()
    {
        var proposer = NewProposer();
        proposer.Submit(Cmd("c1", 1));

        proposer.Handle(EmptyPromise(N1, B(7, N1)));
        proposer.Handle(EmptyPromise(N2, B(7, N1)));
        proposer.Handle(EmptyPromise(N2, proposer.Ballot));

        Assert.Equal(ProposerRole.Candidate, proposer.Standing);
    }

    [Fact]
    public void Proposer_MajorityOfPromises_MakesItLeader_AndProposesTheQueuedCommand()
    {
        var proposer = NewProposer();
        var command = Cmd("c1", 1);

        var step = Elect(proposer, command);

        Assert.Equal(ProposerRole.Leader, proposer.Standing);
        Assert.Equal(N0, proposer.Leader);
        var accept = Assert.Single(Proposals(step));
        Assert.Equal(new Accept(N0, B(1, N0), 0, Batch(command), 0), accept);
        Assert.Equal(0, proposer.PendingCount);
        // It announces itself to the other proposers.
        var heartbeats = Sent<Heartbeat>(step.Messages, Role.Proposer);
        Assert.Equal([N1, N2], heartbeats.Select(h => h.To));
        Assert.All(heartbeats, h => Assert.Equal(B(1, N0), h.Message.Ballot));
    }

    [Fact]
    public void Proposer_MajorityAccepted_SendsChosenToEveryLearner_AndAdvancesChosenBelow()
    {
        var proposer = NewProposer();
        var value = Batch(Cmd("c1", 1));
        Elect(proposer, Cmd("c1", 1));

        var first = proposer.Handle(new Accepted(N2, B(1, N0), 0, value));
        Assert.Empty(Sent<Chosen>(first.Messages, Role.Learner));
        Assert.Equal(0UL, proposer.ChosenBelow);

        var second = proposer.Handle(new Accepted(N1, B(1, N0), 0, value));
        var chosen = Sent<Chosen>(second.Messages, Role.Learner);
        Assert.Equal(Nodes, chosen.Select(c => c.To));
        Assert.All(chosen, c => Assert.Equal(new Chosen(N0, 0, value), c.Message));
        Assert.Equal(1UL, proposer.ChosenBelow);

        var third = proposer.Handle(new Accepted(N0, B(1, N0), 0, value));
        Assert.Empty(third.Messages);
    }

    [Fact]
    public void Proposer_AcceptedInAnotherBallot_DoesNotCountTowardsChoosing()
    {
        var proposer = NewProposer();
        var value = Batch(Cmd("c1", 1));
        Elect(proposer, Cmd("c1", 1));

        proposer.Handle(new Accepted(N1, B(1, N0), 0, value));
        var step = proposer.Handle(new Accepted(N2, B(9, N2), 0, value));

        Assert.Empty(Sent<Chosen>(step.Messages, Role.Learner));
        Assert.Equal(0UL, proposer.ChosenBelow);
    }

    [Fact]
    public void Proposer_Recovery_ReProposesTheHighestBallotVote_AndFillsGapsWithNoOp_BeforeNewCommands()
    {
        var proposer = NewProposer(durable: new ProposerState(2));
        var valueA = Batch(Cmd("a", 1));
        var valueB = Batch(Cmd("b", 1));
        var valueC = Batch(Cmd("c", 1));
        var command = Cmd("new", 1);
        proposer.Submit(command);
        var ballot = proposer.Ballot;
        Assert.Equal(B(3, N0), ballot);

        proposer.Handle(new Promise(N1, ballot, 0, [new AcceptedEntry(0, B(1, N1), valueA), new AcceptedEntry(2, B(2, N2), valueC)]));
        var step = proposer.Handle(new Promise(N2, ballot, 0, [new AcceptedEntry(0, B(2, N2), valueB)]));

        Assert.Equal(ProposerRole.Leader, proposer.Standing);
        var proposals = Proposals(step);
        Assert.Equal([0UL, 1UL, 2UL, 3UL], proposals.Select(a => a.Slot));
        Assert.All(proposals, a => Assert.Equal(ballot, a.Ballot));
        Assert.Equal(valueB, proposals[0].Value);
        Assert.Equal(Value.NoOp, proposals[1].Value);
        Assert.Equal(valueC, proposals[2].Value);
        Assert.Equal(Batch(command), proposals[3].Value);
    }

    [Fact]
    public void Proposer_NewLeader_DoesNotProposeBelowTheHighestTruncatedBelowInItsPromises()
    {
        var proposer = NewProposer();
        var command = Cmd("c1", 1);
        proposer.Submit(command);
        var ballot = proposer.Ballot;

        proposer.Handle(new Promise(N1, ballot, 3, NoVotes));
        var step = proposer.Handle(new Promise(N2, ballot, 0, [new AcceptedEntry(1, B(1, N2), Batch(Cmd("old", 1)))]));

        var proposal = Assert.Single(Proposals(step));
        Assert.Equal(3UL, proposal.Slot);
        Assert.Equal(Batch(command), proposal.Value);
        Assert.Equal(3UL, proposer.ChosenBelow);
    }

    [Fact]
    public void Proposer_NoteLearned_MakesTheNextElectionPrepareFromTheLearnedSlot()
    {
        var proposer = NewProposer();
        proposer.NoteLearned(5);

        var prepare = proposer.Submit(Cmd("c1", 1));
        proposer.Handle(EmptyPromise(N0, proposer.Ballot));
        var leader = proposer.Handle(EmptyPromise(N1, proposer.Ballot));

        Assert.All(Sent<Prepare>(prepare.Messages, Role.Acceptor), p => Assert.Equal(5UL, p.Message.FromSlot));
        Assert.Equal(5UL, Assert.Single(Proposals(leader)).Slot);
        Assert.Equal(5UL, proposer.ChosenBelow);
    }

    [Fact]
    public void Proposer_CandidateNackedByHigherBallot_StepsDownToFollower_AndFollowsThatBallotsNode()
    {
        var proposer = NewProposer();
        proposer.Submit(Cmd("c1", 1));

        var step = proposer.Handle(new Nack(N1, B(1, N0), B(4, N2), null, 0));

        Assert.Equal(ProposerRole.Follower, proposer.Standing);
        Assert.Equal(Ballot.Zero, proposer.Ballot);
        Assert.Equal(N2, proposer.Leader);
        Assert.Empty(step.Messages);
    }

    [Fact]
    public void Proposer_LeaderNackedByHigherBallot_StepsDown_AndRequeuesItsUnchosenCommands()
    {
        var proposer = NewProposer();
        Elect(proposer, Cmd("c1", 1));

        proposer.Handle(new Nack(N1, B(1, N0), B(4, N2), 0, 0));

        Assert.Equal(ProposerRole.Follower, proposer.Standing);
        Assert.Equal(1, proposer.PendingCount);
    }

    [Fact]
    public void Proposer_NextElectionAfterANack_UsesARoundAboveTheHighestBallotSeen()
    {
        var proposer = NewProposer();
        proposer.Submit(Cmd("c1", 1));
        proposer.Handle(new Nack(N1, B(1, N0), B(9, N2), null, 0));

        // Far past the leader timeout and the election jitter: nobody leads, a command waits.
        var step = proposer.Tick(1_000);

        Assert.Equal(ProposerRole.Candidate, proposer.Standing);
        Assert.Equal(new ProposerState(10), step.Persist);
        Assert.Equal(B(10, N0), proposer.Ballot);
        Assert.Equal(3, Sent<Prepare>(step.Messages, Role.Acceptor).Count);
    }

    [Fact]
    public void Proposer_NackRejectingABallotItIsNotUsing_IsIgnored()
    {
        var proposer = NewProposer();
        Elect(proposer, Cmd("c1", 1));

        var step = proposer.Handle(new Nack(N1, B(0, N0), B(4, N2), 0, 0));

        Assert.Equal(ProposerRole.Leader, proposer.Standing);
        Assert.Empty(step.Messages);
    }

    [Fact]
    public void Proposer_TruncatedNackInItsOwnBallot_MarksTheSlotChosen_AndStopsProposingThere()
    {
        var proposer = NewProposer(new ProposerOptions { RetryTicks = 20 });
        Elect(proposer, Cmd("c1", 1));

        var step = proposer.Handle(new Nack(N2, B(1, N0), B(1, N0), 0, 1));

        Assert.Equal(ProposerRole.Leader, proposer.Standing);
        Assert.Equal(1UL, proposer.ChosenBelow);
        Assert.DoesNotContain(Sent<Accept>(step.Messages, Role.Acceptor), m => m.Message.Slot == 0);
        // Slot 0 is no longer in flight: it is never sent again.
        var retry = proposer.Tick(20);
        Assert.DoesNotContain(Sent<Accept>(retry.Messages, Role.Acceptor), m => m.Message.Slot == 0);
    }

    [Fact]
    public void Proposer_Window_LimitsSlotsInFlight_AndRefillsAsSlotsAreChosen()
    {
        var proposer = NewProposer(new ProposerOptions { Window = 2, MaxBatch = 1 });
        var commands = Enumerable.Range(1, 5).Select(i => Cmd("c", (ulong)i)).ToArray();

        var leader = Elect(proposer, commands);

        var proposals = Proposals(leader);
        Assert.Equal([0UL, 1UL], proposals.Select(a => a.Slot));
        Assert.Equal(3, proposer.PendingCount);

        proposer.Handle(new Accepted(N0, proposer.Ballot, 0, proposals[0].Value));
        var refill = proposer.Handle(new Accepted(N1, proposer.Ballot, 0, proposals[0].Value));

        var next = Assert.Single(Proposals(refill));
        Assert.Equal(2UL, next.Slot);
        Assert.Equal(Batch(commands[2]), next.Value);
        Assert.Equal(2, proposer.PendingCount);
    }

    [Fact]
    public void Proposer_MaxBatch_LimitsCommandsPerSlot_KeepingSubmissionOrder()
    {
        var proposer = NewProposer(new ProposerOptions { MaxBatch = 2 });
        var c = Enumerable.Range(1, 5).Select(i => Cmd("c" + i, 1)).ToArray();

        var leader = Elect(proposer, c);

        var proposals = Proposals(leader);
        Assert.Equal([0UL, 1UL, 2UL], proposals.Select(a => a.Slot));
        Assert.Equal(Batch(c[0], c[1]), proposals[0].Value);
        Assert.Equal(Batch(c[2], c[3]), proposals[1].Value);
        Assert.Equal(Batch(c[4]), proposals[2].Value);
    }

    [Fact]
    public void Proposer_DuplicateSubmitWhileQueuedOrInFlight_IsNotProposedTwice()
    {
        var proposer = NewProposer();
        var command = Cmd("c1", 1);
        proposer.Submit(command);

        var again = proposer.Submit(Cmd("c1", 1));
        Assert.Empty(again.Messages);
        Assert.Equal(1, proposer.PendingCount);

        proposer.Handle(EmptyPromise(N0, proposer.Ballot));
        var leader = proposer.Handle(EmptyPromise(N1, proposer.Ballot));
        var proposal = Assert.Single(Proposals(leader));
        Assert.Equal(Batch(command), proposal.Value);

        var whileInFlight = proposer.Submit(Cmd("c1", 1));
        Assert.Empty(Sent<Accept>(whileInFlight.Messages, Role.Acceptor));
        Assert.Equal(0, proposer.PendingCount);
    }

    [Fact]
    public void Proposer_Tick_RetransmitsUnansweredAcceptsAfterRetryTicks_OnlyToAcceptorsThatHaveNotVoted()
    {
        var proposer = NewProposer(new ProposerOptions { RetryTicks = 20 });
        var value = Batch(Cmd("c1", 1));
        Elect(proposer, Cmd("c1", 1));
        proposer.Handle(new Accepted(N1, proposer.Ballot, 0, value));

        var early = proposer.Tick(19);
        Assert.Empty(Sent<Accept>(early.Messages, Role.Acceptor));

        var due = proposer.Tick(20);
        var resent = Sent<Accept>(due.Messages, Role.Acceptor);
        Assert.Equal([N0, N2], resent.Select(m => m.To));
        Assert.All(resent, m => Assert.Equal(new Accept(N0, B(1, N0), 0, value, 0), m.Message));

        var tooSoonAgain = proposer.Tick(39);
        Assert.Empty(Sent<Accept>(tooSoonAgain.Messages, Role.Acceptor));
    }

    [Fact]
    public void Proposer_Leader_SendsHeartbeatEveryHeartbeatTicks()
    {
        var proposer = NewProposer(new ProposerOptions { HeartbeatTicks = 10 });
        Elect(proposer, Cmd("c1", 1));

        var early = proposer.Tick(9);
        var due = proposer.Tick(10);

        Assert.Empty(Sent<Heartbeat>(early.Messages, Role.Proposer));
        Assert.Equal([N1, N2], Sent<Heartbeat>(due.Messages, Role.Proposer).Select(h => h.To));
        Assert.Equal(Nodes, Sent<Heartbeat>(due.Messages, Role.Learner).Select(h => h.To));
        Assert.All(Sent<Heartbeat>(due.Messages, Role.Learner), h => Assert.Equal(new Heartbeat(N0, B(1, N0), 0), h.Message));
    }

    [Fact]
    public void Proposer_Heartbeat_RetransmitsChosenValuesOnlyToLearnersThatHaveNotReportedThem()
    {
        var proposer = NewProposer(new ProposerOptions { HeartbeatTicks = 10 });
        var value = Batch(Cmd("c1", 1));
        Elect(proposer, Cmd("c1", 1));
        proposer.Handle(new Accepted(N0, proposer.Ballot, 0, value));
        proposer.Handle(new Accepted(N1, proposer.Ballot, 0, value));
        proposer.Handle(new LearnerStatus(N0, 0, 1)); // applied, not yet in a snapshot: nothing to resend
        proposer.Handle(new LearnerStatus(N2, 0, 0));

        var step = proposer.Tick(10);

        var chosen = Sent<Chosen>(step.Messages, Role.Learner);
        Assert.Equal([N1, N2], chosen.Select(c => c.To));
        Assert.All(chosen, c => Assert.Equal(new Chosen(N0, 0, value), c.Message));
    }

    [Fact]
    public void Proposer_DoesNotProposePastMaxUnlearnedSlots_UntilAMajorityOfLearnersReportsThemInSavedSnapshots()
    {
        var proposer = NewProposer(new ProposerOptions { Window = 2, MaxBatch = 1, MaxUnlearnedSlots = 2 });
        var commands = Enumerable.Range(1, 4).Select(i => Cmd("c", (ulong)i)).ToArray();
        var leader = Elect(proposer, commands);
        foreach (var accept in Proposals(leader))
        {
            proposer.Handle(new Accepted(N0, accept.Ballot, accept.Slot, accept.Value));
            var chosenStep = proposer.Handle(new Accepted(N1, accept.Ballot, accept.Slot, accept.Value));
            Assert.Empty(Proposals(chosenStep));
        }

        Assert.Equal(2UL, proposer.ChosenBelow);
        Assert.Equal(2, proposer.PendingCount);

        var applied = proposer.Handle(new LearnerStatus(N0, 0, 2));
        Assert.Empty(Proposals(applied)); // applied is not durable: acceptors keep their votes
        var one = proposer.Handle(new LearnerStatus(N0, 2, 2));
        Assert.Empty(Proposals(one));

        var majority = proposer.Handle(new LearnerStatus(N1, 2, 2));
        var proposals = Proposals(majority);
        Assert.Equal([2UL, 3UL], proposals.Select(a => a.Slot));
        Assert.All(proposals, a => Assert.Equal(2UL, a.TruncateBelow));
        Assert.Equal(0, proposer.PendingCount);
    }

    [Fact]
    public void Proposer_FollowerThatHeardAHeartbeat_ForwardsSubmittedCommandsToThatLeader()
    {
        var proposer = NewProposer();
        var command = Cmd("c1", 1);
        proposer.Handle(new Heartbeat(N1, B(1, N1), 0));

        var step = proposer.Submit(command);

        Assert.Null(step.Persist);
        Assert.Equal(ProposerRole.Follower, proposer.Standing);
        Assert.Equal(N1, proposer.Leader);
        Assert.Equal(0, proposer.PendingCount);
        var envelope = Assert.Single(step.Messages);
        Assert.Equal((N1, Role.Proposer), (envelope.To, envelope.Role));
        var forwarded = Assert.IsType<Submit>(envelope.Message);
        Assert.Equal(N0, forwarded.From);
        Assert.Equal(1, forwarded.Hops);
        Assert.Equal([command], forwarded.Commands);
    }

    [Fact]
    public void Proposer_FollowerDropsAForwardedSubmitThatReachedTheHopLimit()
    {
        var proposer = NewProposer();
        proposer.Handle(new Heartbeat(N1, B(1, N1), 0));

        var step = proposer.Handle(new Submit(N2, [Cmd("c1", 1)], Hops: Nodes.Length));

        Assert.Empty(step.Messages);
        Assert.Equal(0, proposer.PendingCount);
    }

    [Fact]
    public void Proposer_CandidateHearingAHigherBallotHeartbeat_StepsDown_AndForwardsItsPendingCommands()
    {
        var proposer = NewProposer();
        var command = Cmd("c1", 1);
        proposer.Submit(command);

        var step = proposer.Handle(new Heartbeat(N2, B(2, N2), 0));

        Assert.Equal(ProposerRole.Follower, proposer.Standing);
        Assert.Equal(N2, proposer.Leader);
        Assert.Equal(0, proposer.PendingCount);
        var (to, forwarded) = Assert.Single(Sent<Submit>(step.Messages, Role.Proposer));
        Assert.Equal(N2, to);
        Assert.Equal(1, forwarded.Hops);
        Assert.Equal([command], forwarded.Commands);
    }

    [Fact]
    public void Proposer_LeaderHearingAHigherBallotHeartbeat_StepsDown_AndForwardsItsInFlightCommands()
    {
        var proposer = NewProposer();
        var command = Cmd("c1", 1);
        Elect(proposer, command);

        var step = proposer.Handle(new Heartbeat(N1, B(2, N1), 0));

        Assert.Equal(ProposerRole.Follower, proposer.Standing);
        var (to, forwarded) = Assert.Single(Sent<Submit>(step.Messages, Role.Proposer));
        Assert.Equal(N1, to);
        Assert.Equal([command], forwarded.Commands);
    }

    [Fact]
    public void Proposer_LeaderIgnoresAHeartbeatFromALowerBallot()
    {
        var proposer = NewProposer(durable: new ProposerState(4));
        Elect(proposer, Cmd("c1", 1));

        var step = proposer.Handle(new Heartbeat(N2, B(3, N2), 0));

        Assert.Equal(ProposerRole.Leader, proposer.Standing);
        Assert.Empty(step.Messages);
    }
}
