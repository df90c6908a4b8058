using PaxosGo.Core.Hosting;
using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Hosting;

/// <summary>The Step/Advance discipline every host follows: one step at a time, advanced with the Ready it returned.</summary>
public class EngineHostTests
{
    private static AcceptorHost NewAcceptorHost() => new("app", new Acceptor(N1, AcceptorState.Initial, Nodes), AcceptorState.Initial);

    [Fact]
    public void Step_BeforeThePreviousReadyIsAdvanced_IsRefused()
    {
        var host = NewAcceptorHost();
        host.Step(new Prepare(N0, B(1, N0), 0));

        Assert.Throws<InvalidOperationException>(() => host.Step(new Prepare(N0, B(2, N0), 0)));
    }

    [Fact]
    public void Advance_WithAReadyTheHostDidNotReturnLast_IsRefused_AndTheRightOneIsStillAccepted()
    {
        var host = NewAcceptorHost();
        var ready = host.Step(new Prepare(N0, B(1, N0), 0));

        Assert.Throws<InvalidOperationException>(() => host.Advance(ready with { }));
        host.Advance(ready);
        host.Step(new Prepare(N0, B(2, N0), 0)); // advanced: the next step may be taken
    }

    [Fact]
    public void Step_WithInputsTheRoleDoesNotHandle_AsksForNothing()
    {
        var host = NewAcceptorHost();

        var ready = host.Step([new Tick(5), new Chosen(N0, 0, Batch(Cmd("a", 1))), new Learned(3)]);

        Assert.False(ready.HasJournalWrite);
        Assert.Empty(ready.Messages);
        Assert.Null(ready.VotedBelow);
    }
}
