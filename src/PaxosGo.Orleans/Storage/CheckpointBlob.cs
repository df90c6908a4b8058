using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using PaxosGo.Core.Journal;

namespace PaxosGo.Orleans.Storage;

/// <summary>A node journal's checkpoint as a block blob, <c>nodes/{node}/checkpoints/{sequence:D20}</c>: the layout both journals share.</summary>
internal static class CheckpointBlob
{
    /// <summary>Writes the journal's whole state after its last batch; returns the blob's name and the checkpoint's bytes.</summary>
    public static async Task<(string Name, int Bytes)> WriteAsync(BlobContainerClient container, string prefix, NodeJournal journal, CancellationToken cancellation)
    {
        byte[] checkpoint;
        ulong sequence;
        lock (journal)
        {
            checkpoint = journal.TakeCheckpoint();
            sequence = journal.Sequence;
        }

        string name = $"{prefix}checkpoints/{sequence:D20}";
        using var content = new MemoryStream(checkpoint, writable: false);
        // The same sequence always holds the same state: overwriting an earlier attempt is harmless.
        await container.GetBlobClient(name).UploadAsync(content, new BlobUploadOptions(), cancellation).ConfigureAwait(false);
        return (name, checkpoint.Length);
    }
}
