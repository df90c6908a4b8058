using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using PaxosGo.Orleans.Storage;

namespace PaxosGo.Bench;

/// <summary>What the cluster keeps in storage: the bytes of every blob in its container and of its journal table's rows, by kind.</summary>
internal static class StorageUse
{
    /// <summary>
    /// Bytes by kind for the deployment's container (<c>paxosgo</c>): the node journals' batches (the
    /// append blobs <c>nodes/*/log</c>, or the frames in the journal table's rows and in
    /// <c>nodes/*/frames/*</c>), their checkpoints (<c>nodes/*/checkpoints/*</c>), and everything else
    /// (the learners' snapshots); null when the storage cannot be listed.
    /// </summary>
    public static async Task<Dictionary<string, long>?> MeasureAsync(string connectionString, string container = "paxosgo")
    {
        try
        {
            var use = new Dictionary<string, long>(StringComparer.Ordinal) { ["log"] = 0, ["checkpoints"] = 0, ["snapshots"] = 0 };
            await foreach (var blob in new BlobServiceClient(connectionString).GetBlobContainerClient(container).GetBlobsAsync())
            {
                string kind = !blob.Name.StartsWith("nodes/", StringComparison.Ordinal) ? "snapshots"
                    : blob.Name.EndsWith("/log", StringComparison.Ordinal) || blob.Name.Contains("/frames/", StringComparison.Ordinal) ? "log"
                    : "checkpoints";
                use[kind] += blob.Properties.ContentLength ?? 0;
            }

            var table = new TableClient(connectionString, AzureTableNodeLog.TableNameFor(container));
            try
            {
                await foreach (var row in table.QueryAsync<TableEntity>(select: ["Frame"]))
                {
                    use["log"] += row.GetBinary("Frame")?.Length ?? 0;
                }
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // No journal table: the journal is in append blobs.
            }

            use["total"] = use.Values.Sum();
            return use;
        }
        catch (RequestFailedException)
        {
            return null;
        }
    }
}
