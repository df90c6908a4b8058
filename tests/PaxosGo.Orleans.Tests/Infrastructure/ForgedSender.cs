using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PaxosGo.Orleans.Tests.Infrastructure;

/// <summary>
/// Turns a connected Orleans client into the attacker of the "close the edges" report: every message
/// it sends from now on names a grain, not a client, as its sender. The Orleans gateway does not check
/// a client's messages against its connection, so the silos' call filters then see a call "from inside
/// the cluster". (Answers to such calls are routed to that grain, not back to the client: the attacker
/// does not need them, and the tests observe the silos instead.)
/// </summary>
internal static class ForgedSender
{
    public static void Apply(IHost client, GrainId pretendToBe)
    {
        var runtimeType = typeof(IClientBuilder).Assembly.GetType("Orleans.OutsideRuntimeClient", throwOnError: true)!;
        object runtime = client.Services.GetRequiredService(runtimeType);
        var property = runtimeType.GetProperty("CurrentActivationAddress", BindingFlags.Instance | BindingFlags.Public)!;
        var current = (GrainAddress)property.GetValue(runtime)!;
        property.GetSetMethod(nonPublic: true)!.Invoke(runtime, [new GrainAddress { GrainId = pretendToBe, SiloAddress = current.SiloAddress, ActivationId = current.ActivationId }]);
    }
}
