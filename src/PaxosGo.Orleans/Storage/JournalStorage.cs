namespace PaxosGo.Orleans.Storage;

/// <summary>Where a node's journal (its acceptors' and proposers' durable state) is kept.</summary>
public enum JournalStorage
{
    /// <summary>A ring of rows in an Azure table, one single-entity write per group commit (<see cref="AzureTableNodeLog"/>).</summary>
    Table,

    /// <summary>One append blob, one <c>AppendBlock</c> per group commit (<see cref="AzureAppendBlobNodeLog"/>).</summary>
    AppendBlob,
}
