using Azure;
using Azure.Storage.Blobs;

namespace PaxosGo.Bench;

/// <summary>What the cluster keeps in blob storage: the bytes of every blob in its container, by kind.</summary>
internal static class StorageUse
{
    /// <summary>
    /// Bytes by kind in the deployment's container (<c>paxosgo</c>): the node journals' append blobs
    /// (<c>nodes/*/log</c>), their checkpoints (<c>nodes/*/checkpoints/*</c>), and everything else (the
    /// learners' snapshots); null when the storage cannot be listed.
    /// </summary>
    public static async Task<Dictionary<string, long>?> MeasureAsync(string connectionString, string container = "paxosgo")
    {
        try
        {
            var use = new Dictionary<string, long>(StringComparer.Ordinal) { ["log"] = 0, ["checkpoints"] = 0, ["snapshots"] = 0 };
            await foreach (var blob in new BlobServiceClient(connectionString).GetBlobContainerClient(container).GetBlobsAsync())
            {
                string kind = blob.Name.StartsWith("nodes/", StringComparison.Ordinal)
                    ? (blob.Name.EndsWith("/log", StringComparison.Ordinal) ? "log" : "checkpoints")
                    : "snapshots";
                use[kind] += blob.Properties.ContentLength ?? 0;
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
