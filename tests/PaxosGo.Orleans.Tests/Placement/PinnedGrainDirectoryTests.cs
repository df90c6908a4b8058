using System.Net;
using Orleans.Runtime;
using PaxosGo.Orleans.Placement;
using Xunit;

namespace PaxosGo.Orleans.Tests.Placement;

/// <summary>The pinned grains' directory: one activation per grain on this silo, nothing about other silos.</summary>
public sealed class PinnedGrainDirectoryTests
{
    private static readonly SiloAddress Here = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11111), 1);
    private static readonly SiloAddress Gone = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11112), 1);
    private static readonly GrainId Acceptor = GrainId.Create("acceptor", "counter/node-a");

    [Fact]
    public async Task ASecondActivationOfTheSameGrain_IsNotRegistered_TheFirstStays()
    {
        var directory = new PinnedGrainDirectory();
        var first = Address(Acceptor, Here);
        var second = Address(Acceptor, Here);

        Same(first, await directory.Register(first));
        Same(first, await directory.Register(second));
        Same(first, await directory.Lookup(Acceptor));
    }

    [Fact]
    public async Task ARegistrationNamingThePreviousActivation_ReplacesIt_AndOnlyThatOne()
    {
        var directory = new PinnedGrainDirectory();
        var first = Address(Acceptor, Here);
        await directory.Register(first);

        var stranger = Address(Acceptor, Here);
        Same(first, await directory.Register(Address(Acceptor, Here), previousAddress: stranger));
        var next = Address(Acceptor, Here);
        Same(next, await directory.Register(next, previousAddress: first));
        Same(next, await directory.Lookup(Acceptor));
    }

    [Fact]
    public async Task UnregisteringAnotherActivation_LeavesTheEntry_UnregisteringItsOwn_RemovesIt()
    {
        var directory = new PinnedGrainDirectory();
        var registered = Address(Acceptor, Here);
        await directory.Register(registered);

        await directory.Unregister(Address(Acceptor, Here));
        Same(registered, await directory.Lookup(Acceptor));
        await directory.Unregister(registered);
        Assert.Null(await directory.Lookup(Acceptor));
    }

    [Fact]
    public async Task AGrainNotActiveHere_IsNotFound_SoPlacementNamesItsNode()
    {
        var directory = new PinnedGrainDirectory();
        Assert.Null(await directory.Lookup(GrainId.Create("learner", "counter/node-b")));
    }

    [Fact]
    public async Task UnregisteringDeadSilos_RemovesTheirEntries_AndKeepsTheOthers()
    {
        var directory = new PinnedGrainDirectory();
        var learner = GrainId.Create("learner", "counter/node-a");
        var here = Address(Acceptor, Here);
        await directory.Register(here);
        await directory.Register(Address(learner, Gone));

        await directory.UnregisterSilos([Gone]);

        Same(here, await directory.Lookup(Acceptor));
        Assert.Null(await directory.Lookup(learner));
    }

    // The activation is what tells two registrations of one grain apart.
    private static void Same(GrainAddress expected, GrainAddress? actual) =>
        Assert.Equal((expected.GrainId, expected.SiloAddress, expected.ActivationId), (actual?.GrainId, actual?.SiloAddress, actual?.ActivationId));

    private static GrainAddress Address(GrainId grain, SiloAddress silo) =>
        new() { GrainId = grain, SiloAddress = silo, ActivationId = ActivationId.NewId() };
}
