using Orleans.Concurrency;
using PaxosGo.Orleans.Hosting;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// The back-end clients' entry point for one application. A stateless worker: it runs on the silo
/// that received the call and uses that node's proposer and learner.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class ApplicationGrain(PaxosGoNode node) : Grain, IApplicationGrain
{
    /// <inheritdoc />
    public async Task<CommandReply> Submit(ClientCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        string key = LocalKey();
        var result = GrainFactory.GetGrain<ILearnerGrain>(key).WaitForResult(command.ClientId, command.RequestId);
        await GrainFactory.GetGrain<IProposerGrain>(key).Submit(command);
        return await result;
    }

    /// <inheritdoc />
    public async Task<ulong> GetState()
    {
        var status = await GrainFactory.GetGrain<ILearnerGrain>(LocalKey()).GetStatus();
        return status.State;
    }

    private string LocalKey()
    {
        string application = this.GetPrimaryKeyString();
        if (!node.Runs(application))
        {
            throw new UnknownApplicationException(
                $"Application '{application}' is not configured on this cluster (it runs: {string.Join(", ", node.Options.Applications)}).");
        }

        return GrainKeys.For(application, node.Identity.Name);
    }
}
