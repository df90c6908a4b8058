using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace PaxosGo.Orleans.Transport;

/// <summary>
/// The clients this node's replicas have registered, by application, kept current by the node's
/// learners (at activation, and whenever an applied command or an installed snapshot changes a
/// registry). The gateway's TLS check reads it: a client may open a gateway connection only with a
/// certificate bound to a key that some application of this node has registered (or the
/// administrator's). Thread-safe; one per silo.
/// </summary>
public sealed class ClientRegistry
{
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, byte[]>> _byApplication = new(StringComparer.Ordinal);

    /// <summary>Replaces what is known of <paramref name="application"/>'s registry with a copy of <paramref name="clients"/>.</summary>
    public void Replace(string application, IReadOnlyDictionary<string, byte[]> clients)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(clients);
        _byApplication[application] = clients.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Whether some application registered <paramref name="clientId"/> with exactly this <paramref name="publicKey"/>.</summary>
    public bool IsRegistered(string clientId, ReadOnlySpan<byte> publicKey)
    {
        foreach (var registry in _byApplication.Values)
        {
            if (registry.TryGetValue(clientId, out var key) && CryptographicOperations.FixedTimeEquals(key, publicKey)) return true;
        }

        return false;
    }
}
