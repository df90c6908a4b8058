using System.Reflection;
using Orleans.Runtime;
using PaxosGo.Orleans.Grains;

namespace PaxosGo.Orleans.Hosting;

/// <summary>
/// Refuses calls from Orleans clients to grain methods marked <see cref="InternalOnlyAttribute"/>:
/// clients reach the cluster through <see cref="IApplicationGrain"/>, never straight to a proposer or learner.
/// </summary>
internal sealed class InternalOnlyCallFilter : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.SourceId is { } source && GrainTypePrefix.IsClient(source) &&
            context.InterfaceMethod?.GetCustomAttribute<InternalOnlyAttribute>() is not null)
        {
            throw new InvalidOperationException(
                $"{context.InterfaceName}.{context.MethodName} may only be called from inside the cluster; clients use IApplicationGrain.");
        }

        return context.Invoke();
    }
}
