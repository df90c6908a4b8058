using System.Collections.Concurrent;
using Orleans.GrainDirectory;
using Orleans.Runtime;

namespace PaxosGo.Orleans.Placement;

/// <summary>
/// The grain directory of the node-pinned grains (<see cref="NodePinnedPlacement"/>): each silo knows
/// only its own activations, and nothing is ever looked up on another silo. A grain that is not here
/// is found by placement, which names the one silo its node runs on, so a message between two live
/// nodes never waits on a third one. With Orleans' default directory, the silo that owns a grain's
/// directory entry may be any silo: a killed third node stalls lookups between the two live ones
/// until it is declared dead, and then live grains whose entries it held are deactivated.
/// </summary>
/// <remarks>
/// Single activation needs no cluster-wide registry here: a pinned grain activates only on its own
/// node's silo (the placement director and <c>ProtocolGrain.OnActivateAsync</c> see to it), and one
/// silo registers one activation per grain (<see cref="Register(GrainAddress)"/> keeps the first).
/// </remarks>
internal sealed class PinnedGrainDirectory : IGrainDirectory
{
    /// <summary>The directory's name, which the pinned grain classes name in <see cref="GrainDirectoryAttribute"/>.</summary>
    public const string Name = "paxosgo-pinned";

    private readonly ConcurrentDictionary<GrainId, GrainAddress> _local = new();

    /// <inheritdoc />
    public Task<GrainAddress?> Register(GrainAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Task.FromResult<GrainAddress?>(_local.GetOrAdd(address.GrainId, address));
    }

    /// <inheritdoc />
    public Task<GrainAddress?> Register(GrainAddress address, GrainAddress? previousAddress)
    {
        ArgumentNullException.ThrowIfNull(address);
        var result = _local.AddOrUpdate(
            address.GrainId,
            static (_, state) => state.Address,
            static (_, existing, state) => state.Previous is { } previous && existing.Matches(previous) ? state.Address : existing,
            (Address: address, Previous: previousAddress));
        return Task.FromResult<GrainAddress?>(result);
    }

    /// <inheritdoc />
    public Task Unregister(GrainAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_local.TryGetValue(address.GrainId, out var existing) && existing.Matches(address))
        {
            _local.TryRemove(KeyValuePair.Create(existing.GrainId, existing));
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<GrainAddress?> Lookup(GrainId grainId) =>
        Task.FromResult(_local.TryGetValue(grainId, out var address) ? address : null);

    /// <inheritdoc />
    public Task UnregisterSilos(List<SiloAddress> siloAddresses)
    {
        ArgumentNullException.ThrowIfNull(siloAddresses);
        foreach (var entry in _local)
        {
            if (entry.Value.SiloAddress is { } silo && siloAddresses.Contains(silo))
            {
                _local.TryRemove(entry);
            }
        }

        return Task.CompletedTask;
    }
}
