using System.Collections.Concurrent;
using System.Reflection;
using Orleans.Runtime;
using PaxosGo.Orleans.Grains;

namespace PaxosGo.Orleans.Hosting;

/// <summary>
/// The allowlist in front of every PaxosGo grain. A call to a PaxosGo grain through anything but a
/// PaxosGo grain interface (Orleans' grain extensions: deactivation, migration, cancellation, any
/// <c>IGrainExtension</c>) is refused whoever sends it: nothing in the cluster uses them on these
/// grains (grain timers' ticks excepted, which the runtime makes in-process). A call from outside the cluster (an Orleans client) reaches only methods marked
/// <see cref="ClientCallableAttribute"/>. Orleans takes the sending id from the caller, so a client
/// can pretend to be a grain; that is why every other method checks what it receives
/// cryptographically (signed envelopes, <see cref="Identity.LocalAttestation"/>), and this filter is
/// only the first, cheap, line. A refusal is a <see cref="CallRefusedException"/> and changes nothing.
/// </summary>
internal sealed class ClientSurfaceCallFilter : IIncomingGrainCallFilter
{
    private static readonly Assembly Contracts = typeof(IProtocolGrain).Assembly;

    // A grain timer's tick runs through the call pipeline as a call of the grain to itself. The
    // runtime builds these in-process (the tick's invokable is never deserialized from a peer; a
    // remote call on this interface finds no implementation on the grain and fails).
    private const string TimerTick = "Orleans.Runtime.IGrainTimerInvoker";

    // Whether each interface method is marked client-callable: read once per method, not per call
    // (reflection on custom attributes was about 1% of the leader's CPU at 256 clients).
    private static readonly ConcurrentDictionary<MethodInfo, bool> ClientCallable = new();

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is not IPaxosGoGrain) return context.Invoke();
        var method = context.InterfaceMethod;
        if (method?.DeclaringType?.FullName == TimerTick) return context.Invoke();
        if (method?.DeclaringType is not { } contract || contract.Assembly != Contracts || !contract.IsInterface)
        {
            Metrics.CallsRefused.Add(1, new KeyValuePair<string, object?>("reason", "not-a-paxosgo-method"));
            throw new CallRefusedException(
                $"{context.InterfaceName}.{context.MethodName} is not a PaxosGo grain method: Orleans' grain extensions are refused on PaxosGo grains.");
        }

        bool fromOutside = context.SourceId is not { } source || source.IsClient();
        if (fromOutside && !ClientCallable.GetOrAdd(method, static m => m.GetCustomAttribute<ClientCallableAttribute>() is not null))
        {
            Metrics.CallsRefused.Add(1, new KeyValuePair<string, object?>("reason", "internal-method"));
            throw new CallRefusedException(
                $"{context.InterfaceName}.{context.MethodName} is internal to the cluster; clients use IApplicationGrain, IClientGatewayGrain, IClientEntryGrain and the status reads.");
        }

        return context.Invoke();
    }
}

/// <summary>Marks the grain classes the <see cref="ClientSurfaceCallFilter"/> guards.</summary>
internal interface IPaxosGoGrain
{
}
