using System.Collections.Immutable;
using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Unit;

public class AcceptorTests
{
    private static readonly Value ValueA = Batch(Cmd("a", 1));
    private static readonly Value ValueB = Batch(Cmd("b", 1));
    private static readonly Value ValueC = Batch(Cmd("c", 1));

    private static AcceptorState StateWith(Ballot promised, ulong truncatedBelow, params AcceptedEntry[] votes) =>
        new(promised, truncatedBelow, votes.ToImmutableSortedDictionary(v => v.Slot, v => v));

    [Fact]
    public void Acceptor_PromisesHigherBallot_PersistsThePromise_AndRepliesToTheProposer()
    {
        var acceptor = new Acceptor(N1, AcceptorState.Initial, Nodes);

        var step = acceptor.Handle(new Prepare(N0, B(1, N0), 0));

        Assert.NotNull(step.Persist);
        Assert.Equal(B(1, N0), step.Persist.Promised);
        Assert.Empty(step.Persist.Accepted);
        Assert.Equal(B(1, N0), acceptor.State.Promised);
        var envelope = Assert.Single(step.Messages);
        Assert.Equal(N0, envelope.To);
        Assert.Equal(Role.Proposer, envelope.Role);
        var promise = Assert.IsType<Promise>(envelope.Message);
        Assert.Equal(N1, promise.From);
        Assert.Equal(B(1, N0), promise.Ballot);
        Assert.Equal(0UL, promise.TruncatedBelow);
        Assert.Empty(promise.Accepted);
    }

    [Fact]
    public void Acceptor_Promise_ListsOnlyVotesAtOrAfterFromSlot_InSlotOrder()
    {
        var e0 = new AcceptedEntry(0, B(1, N0), ValueA);
        var e2 = new AcceptedEntry(2, B(1, N0), ValueB);
        var e5 = new AcceptedEntry(5, B(2, N1), ValueC);
        var acceptor = new Acceptor(N1, StateWith(B(2, N1), 0, e5, e0, e2), Nodes);

        var step = acceptor.Handle(new Prepare(N2, B(3, N2), 2));

        var promise = Assert.IsType<Promise>(Assert.Single(step.Messages).Message);
        Assert.Equal([e2, e5], promise.Accepted);
        Assert.NotNull(step.Persist);
        Assert.Equal(B(3, N2), step.Persist.Promised);
        // The promise does not touch the votes.
        Assert.Equal([0UL, 2UL, 5UL], step.Persist.Accepted.Keys);
    }

    [Fact]
    public void Acceptor_PrepareAtThePromisedBallot_IsAnsweredAgain_WithoutPersisting()
    {
        var vote = new AcceptedEntry(4, B(2, N0), ValueA);
        var acceptor = new Acceptor(N1, StateWith(B(2, N0), 0, vote), Nodes);
        var before = acceptor.State;

        var step = acceptor.Handle(new Prepare(N0, B(2, N0), 0));

        Assert.Null(step.Persist);
        Assert.Same(before, acceptor.State);
        var promise = Assert.IsType<Promise>(Assert.Single(step.Messages).Message);
        Assert.Equal(B(2, N0), promise.Ballot);
        Assert.Equal([vote], promise.Accepted);
    }

    [Fact]
    public void Acceptor_NacksPrepareBelowPromisedBallot_AndChangesNothing()
    {
        var vote = new AcceptedEntry(0, B(2, N1), ValueA);
        var acceptor = new Acceptor(N1, StateWith(B(2, N1), 0, vote), Nodes);
        var before = acceptor.State;

        var step = acceptor.Handle(new Prepare(N2, B(1, N2), 0));

        Assert.Null(step.Persist);
        Assert.Same(before, acceptor.State);
        var envelope = Assert.Single(step.Messages);
        Assert.Equal(N2, envelope.To);
        Assert.Equal(Role.Proposer, envelope.Role);
        var nack = Assert.IsType<Nack>(envelope.Message);
        Assert.Equal(N1, nack.From);
        Assert.Equal(B(1, N2), nack.Rejected);
        Assert.Equal(B(2, N1), nack.Promised);
        Assert.Null(nack.Slot);
    }

    [Fact]
    public void Acceptor_NacksPrepareAtBallotZero_EvenWhenNothingIsPromised()
    {
        var acceptor = new Acceptor(N1, AcceptorState.Initial, Nodes);

        var step = acceptor.Handle(new Prepare(N0, Ballot.Zero, 0));

        Assert.Null(step.Persist);
        Assert.IsType<Nack>(Assert.Single(step.Messages).Message);
        Assert.Equal(Ballot.Zero, acceptor.State.Promised);
    }

    [Fact]
    public void Acceptor_AcceptAtPromisedBallot_PersistsTheVote_AndReportsItToProposerAndEveryLearner()
    {
        var acceptor = new Acceptor(N1, StateWith(B(1, N0), 0), Nodes);

        var step = acceptor.Handle(new Accept(N0, B(1, N0), 3, ValueA, 0));

        Assert.NotNull(step.Persist);
        Assert.Equal(new AcceptedEntry(3, B(1, N0), ValueA), step.Persist.Accepted[3]);
        Assert.Equal(B(1, N0), step.Persist.Promised);
        Assert.Same(step.Persist, acceptor.State);

        var expected = new Accepted(N1, B(1, N0), 3, ValueA);
        var toProposer = Assert.Single(Sent<Accepted>(step.Messages, Role.Proposer));
        Assert.Equal((N0, expected), toProposer);
        var toLearners = Sent<Accepted>(step.Messages, Role.Learner);
        Assert.Equal(Nodes, toLearners.Select(m => m.To));
        Assert.All(toLearners, m => Assert.Equal(expected, m.Message));
        Assert.Equal(1 + Nodes.Length, step.Messages.Count);
    }

    [Fact]
    public void Acceptor_WithoutLearners_ReportsItsVoteToTheProposerOnly()
    {
        var acceptor = new Acceptor(N1, AcceptorState.Initial);

        var step = acceptor.Handle(new Accept(N0, B(1, N0), 0, ValueA, 0));

        var envelope = Assert.Single(step.Messages);
        Assert.Equal(Role.Proposer, envelope.Role);
        Assert.Equal(N0, envelope.To);
        Assert.IsType<Accepted>(envelope.Message);
    }

    [Fact]
    public void Acceptor_AcceptAboveThePromise_RaisesThePromise_SoLowerPreparesAreNacked()
    {
        var acceptor = new Acceptor(N1, StateWith(B(1, N0), 0), Nodes);

        var accepted = acceptor.Handle(new Accept(N2, B(3, N2), 0, ValueA, 0));
        var prepare = acceptor.Handle(new Prepare(N0, B(2, N0), 0));

        Assert.NotNull(accepted.Persist);
        Assert.Equal(B(3, N2), accepted.Persist.Promised);
        var nack = Assert.IsType<Nack>(Assert.Single(prepare.Messages).Message);
        Assert.Equal(B(3, N2), nack.Promised);
    }

    [Fact]
    public void Acceptor_AcceptInAHigherBallot_ReplacesTheSlotsEarlierVote()
    {
        var acceptor = new Acceptor(N1, StateWith(B(1, N0), 0, new AcceptedEntry(0, B(1, N0), ValueA)), Nodes);

        var step = acceptor.Handle(new Accept(N2, B(2, N2), 0, ValueB, 0));

        Assert.NotNull(step.Persist);
        Assert.Equal(new AcceptedEntry(0, B(2, N2), ValueB), Assert.Single(step.Persist.Accepted).Value);
    }

    [Fact]
    public void Acceptor_NacksAcceptBelowPromisedBallot_WithoutPersistingOrVoting()
    {
        var acceptor = new Acceptor(N1, StateWith(B(2, N2), 0), Nodes);
        var before = acceptor.State;

        var step = acceptor.Handle(new Accept(N0, B(1, N0), 7, ValueA, 0));

        Assert.Null(step.Persist);
        Assert.Same(before, acceptor.State);
        Assert.Empty(acceptor.State.Accepted);
        var envelope = Assert.Single(step.Messages);
        Assert.Equal((N0, Role.Proposer), (envelope.To, envelope.Role));
        var nack = Assert.IsType<Nack>(envelope.Message);
        Assert.Equal(B(1, N0), nack.Rejected);
        Assert.Equal(B(2, N2), nack.Promised);
        Assert.Equal(7UL, nack.Slot);
    }

    [Fact]
    public void Acceptor_AcceptCarryingTruncateBelow_DropsVotesBelowIt_AndKeepsTheRest()
    {
        var acceptor = new Acceptor(N1, StateWith(
            B(1, N0),
            0,
            new AcceptedEntry(0, B(1, N0), ValueA),
            new AcceptedEntry(1, B(1, N0), ValueB),
            new AcceptedEntry(2, B(1, N0), ValueC)), Nodes);

        var step = acceptor.Handle(new Accept(N0, B(1, N0), 3, ValueA, 2));

        Assert.NotNull(step.Persist);
        Assert.Equal(2UL, step.Persist.TruncatedBelow);
        Assert.Equal([2UL, 3UL], step.Persist.Accepted.Keys);
        Assert.Equal(ValueC, step.Persist.Accepted[2].Value);
    }

    [Fact]
    public void Acceptor_AcceptForATruncatedSlot_IsNackedWithTheSlotAndTruncatedBelow_AndNotVoted()
    {
        var acceptor = new Acceptor(N1, StateWith(B(1, N0), 0, new AcceptedEntry(0, B(1, N0), ValueA)), Nodes);
        acceptor.Handle(new Accept(N0, B(1, N0), 4, ValueB, 3));

        var step = acceptor.Handle(new Accept(N0, B(1, N0), 1, ValueC, 3));

        var envelope = Assert.Single(step.Messages);
        Assert.Equal(Role.Proposer, envelope.Role);
        var nack = Assert.IsType<Nack>(envelope.Message);
        Assert.Equal(1UL, nack.Slot);
        Assert.Equal(3UL, nack.TruncatedBelow);
        Assert.Equal(B(1, N0), nack.Rejected);
        Assert.Equal(B(1, N0), nack.Promised);
        Assert.DoesNotContain(1UL, acceptor.State.Accepted.Keys);
        Assert.Equal([4UL], acceptor.State.Accepted.Keys);
    }

    [Fact]
    public void Acceptor_PromiseAfterTruncation_ReportsTruncatedBelow_AndNoDroppedVotes()
    {
        var acceptor = new Acceptor(N1, StateWith(
            B(1, N0),
            0,
            new AcceptedEntry(0, B(1, N0), ValueA),
            new AcceptedEntry(1, B(1, N0), ValueB)), Nodes);
        acceptor.Handle(new Accept(N0, B(1, N0), 2, ValueC, 2));

        var step = acceptor.Handle(new Prepare(N2, B(2, N2), 0));

        var promise = Assert.IsType<Promise>(Assert.Single(step.Messages).Message);
        Assert.Equal(2UL, promise.TruncatedBelow);
        Assert.Equal([2UL], promise.Accepted.Select(e => e.Slot));
    }

    [Fact]
    public void Acceptor_RestartedFromDurableState_KeepsItsPromise()
    {
        var durable = StateWith(B(5, N2), 0, new AcceptedEntry(0, B(5, N2), ValueA));

        var acceptor = new Acceptor(N1, durable, Nodes);
        var step = acceptor.Handle(new Accept(N0, B(3, N0), 0, ValueB, 0));

        Assert.Equal(B(5, N2), acceptor.State.Promised);
        Assert.IsType<Nack>(Assert.Single(step.Messages).Message);
        Assert.Equal(ValueA, acceptor.State.Accepted[0].Value);
    }
}
