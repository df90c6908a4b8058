using PaxosGo.Core.Hosting;
using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Hosting;

public class AcceptorHostTests
{
    private static readonly Value ValueA = Batch(Cmd("a", 1));
    private static readonly Value ValueB = Batch(Cmd("b", 1));

    private static AcceptorHost NewHost() => new("app", new Acceptor(N1, AcceptorState.Initial, Nodes), AcceptorState.Initial);

    private static Ready StepAndAdvance(AcceptorHost host, params object[] inputs)
    {
        var ready = host.Step(inputs);
        host.Advance(ready);
        return ready;
    }

    [Fact]
    public void ABatchOfPrepareAndAccepts_AsksForOneJournalWriteHoldingThePromiseAndEveryVote_ThenTheirAnswers()
    {
        var host = NewHost();

        var ready = host.Step([new Prepare(N0, B(1, N0), 0), new Accept(N0, B(1, N0), 0, ValueA, 0), new Accept(N0, B(1, N0), 1, ValueB, 0)]);

        Assert.True(ready.HasJournalWrite);
        Assert.NotNull(ready.Acceptor);
        Assert.Equal("app", ready.Acceptor.Application);
        Assert.Equal([0UL, 1UL], ready.Acceptor.Votes.Select(v => v.Slot).Order());
        Assert.Null(ready.Proposer);
        Assert.Single(Sent<Promise>(ready.Messages, Role.Proposer));
        Assert.Equal([0UL, 1UL], Sent<Accepted>(ready.Messages, Role.Proposer).Select(m => m.Message.Slot));
        Assert.Equal(2UL, ready.VotedBelow);
    }

    [Fact]
    public void AnAcceptTheAcceptorAlreadyHolds_WritesNothing_ButIsAnsweredAgain()
    {
        var host = NewHost();
        StepAndAdvance(host, new Accept(N0, B(1, N0), 0, ValueA, 0));

        var again = host.Step(new Accept(N0, B(1, N0), 0, ValueA, 0));

        Assert.False(again.HasJournalWrite);
        Assert.Single(Sent<Accepted>(again.Messages, Role.Proposer));
        Assert.Null(again.VotedBelow); // the proposer already heard how far the votes reach
    }

    [Fact]
    public void TheNextStep_AsksToWriteOnlyWhatChangedSinceTheLastAdvancedWrite()
    {
        var durable = AcceptorState.Initial;
        var acceptor = new Acceptor(N1, durable, Nodes);
        var host = new AcceptorHost("app", acceptor, durable);
        var first = host.Step(new Accept(N0, B(1, N0), 0, ValueA, 0));
        host.Advance(first);

        var second = host.Step(new Accept(N0, B(1, N0), 1, ValueB, 0));

        Assert.NotNull(second.Acceptor);
        Assert.Equal([1UL], second.Acceptor.Votes.Select(v => v.Slot)); // slot 0 is durable: not written again
    }

    [Fact]
    public void InitialVotedBelow_NamesTheDurableVotesOnce()
    {
        var state = AcceptorState.Initial with { Accepted = AcceptorState.Initial.Accepted.Add(4, new AcceptedEntry(4, B(1, N0), ValueA)) };
        var host = new AcceptorHost("app", new Acceptor(N1, state, Nodes), state);

        Assert.Equal(5UL, host.InitialVotedBelow());
        Assert.Null(host.InitialVotedBelow());
    }
}
