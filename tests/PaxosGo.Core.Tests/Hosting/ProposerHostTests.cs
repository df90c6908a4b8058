using PaxosGo.Core.Hosting;
using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Hosting;

public class ProposerHostTests
{
    private static ProposerHost NewHost(ProposerOptions? options = null) =>
        new("app", new Proposer(N0, Nodes, ProposerState.Initial, new Random(1234), options));

    private static Ready StepAndAdvance(ProposerHost host, params object[] inputs)
    {
        var ready = host.Step(inputs);
        host.Advance(ready);
        return ready;
    }

    /// <summary>Makes the host's proposer the leader, with its first command chosen and nothing in flight.</summary>
    private static void Elect(ProposerHost host)
    {
        var candidacy = StepAndAdvance(host, new Proposals([Cmd("x", 1)]));
        Assert.NotNull(candidacy.Proposer); // the round is journaled before its Prepare leaves
        var ballot = host.Proposer.Ballot;
        var elected = StepAndAdvance(host, new Promise(N0, ballot, 0, []), new Promise(N1, ballot, 0, []));
        Assert.Equal(ProposerRole.Leader, host.Proposer.Standing);
        var first = Sent<Accept>(elected.Messages, Role.Acceptor).First().Message;
        StepAndAdvance(host, new Accepted(N0, ballot, first.Slot, first.Value), new Accepted(N1, ballot, first.Slot, first.Value));
        Assert.Equal(first.Slot + 1, host.Proposer.ChosenBelow);
    }

    [Fact]
    public void AStandingForElection_AsksToJournalTheRound_WithThePreparesAfterIt()
    {
        var host = NewHost();

        var ready = host.Step(new Proposals([Cmd("x", 1)])); // work to do and no leader: it stands

        Assert.NotNull(ready.Proposer);
        Assert.Equal("app", ready.Proposer.Application);
        Assert.Equal(host.Proposer.Ballot.Round, ready.Proposer.MaxRound);
        Assert.Equal(Nodes.Length, Sent<Prepare>(ready.Messages, Role.Acceptor).Count);
        Assert.Null(ready.Acceptor);
    }

    [Fact]
    public void ProposalsThatArriveTogether_GoIntoOneSlot()
    {
        var host = NewHost(new ProposerOptions { Window = 1, MaxBatch = 16 });
        Elect(host);

        var ready = host.Step([new Proposals([Cmd("a", 1)]), new Proposals([Cmd("b", 1), Cmd("c", 1)])]);

        var accepts = Sent<Accept>(ready.Messages, Role.Acceptor).Select(m => m.Message).DistinctBy(a => a.Slot).ToList();
        var accept = Assert.Single(accepts);
        Assert.Equal(["a", "b", "c"], accept.Value.Commands.Select(c => c.ClientId));
        Assert.False(ready.HasJournalWrite); // a leader's Accepts need no write of its own
    }
}
