using PaxosGo.Core;
using PaxosGo.Core.Journal.Records;

namespace PaxosGo.Orleans.Storage;

/// <summary>
/// Where one node's acceptors and proposers keep what they must not forget: every application's
/// promise, votes and truncation point, and every proposer's highest round (a <see cref="Core.Journal.NodeJournal"/>).
/// One per silo. <see cref="AzureTableNodeLog"/> keeps it in Azure table rows, <see cref="AzureAppendBlobNodeLog"/> in an append blob.
/// </summary>
public interface INodeLog
{
    /// <summary>The durable state of <paramref name="application"/>'s acceptor and proposer on this node (read from storage on first use).</summary>
    Task<(AcceptorState Acceptor, ProposerState Proposer)> LoadAsync(string application, CancellationToken cancellation = default);

    /// <summary>
    /// Makes a change durable: completes once the group commit that carries it has been appended (and
    /// fails when that is not known; the caller must then reload). Changes that arrive while an append
    /// is in flight go together in the next one, whatever their application.
    /// </summary>
    Task AppendAsync(AcceptorChange? acceptor, ProposerRound? proposer);
}
