using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Orleans.Connections.Security;
using PaxosGo.Core;
using PaxosGo.Orleans.Hosting;

namespace PaxosGo.Orleans.Transport;

/// <summary>
/// The TLS policies of one silo (<see cref="CertificateBinding"/>): its own certificate, bound to its
/// node key; silo-to-silo links in both directions accept only a certificate bound to a node of
/// the mesh; the gateway accepts only a certificate bound to a client that one of this node's
/// replicas has registered, or to the administrator. Every refusal is logged and counted
/// (<c>paxosgo.connections.refused</c>). One per silo.
/// </summary>
public sealed class NodeTls : IDisposable
{
    private readonly HashSet<string> _meshKeys;
    private readonly byte[] _adminKey;
    private readonly ClientRegistry _registry;
    private readonly ILogger _logger;

    /// <summary>Creates this node's certificate and policies.</summary>
    public NodeTls(PaxosGoNode node, ClientRegistry registry, ILogger<NodeTls> logger)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(logger);
        _registry = registry;
        _logger = logger;
        _adminKey = node.AdminPublicKey;
        _meshKeys = node.Identity.Mesh.Nodes.Select(n => n.PublicKey.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        var identity = node.Identity;
        Certificate = CertificateBinding.Create(
            BindingKind.Node, Convert.FromHexString(identity.Node.PublicKey), data => identity.Sign(data), "paxosgo-node " + identity.Name);
    }

    /// <summary>This silo's certificate (a fresh key every start), bound to its node key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Inbound silo links: this certificate; the peer's must be bound to a mesh node.</summary>
    public TlsOptions SiloInbound => Options(cert => IsMeshNode(cert, "silo-inbound"));

    /// <summary>Outbound silo links: this certificate; the peer's must be bound to a mesh node.</summary>
    public TlsOptions SiloOutbound => Options(cert => IsMeshNode(cert, "silo-outbound"));

    /// <summary>Gateway links: this certificate; the client's must be bound to a registered client or the administrator.</summary>
    public TlsOptions Gateway => Options(IsAllowedClient);

    /// <inheritdoc />
    public void Dispose() => Certificate.Dispose();

    private TlsOptions Options(Func<X509Certificate2, bool> accept) => new()
    {
        LocalCertificate = Certificate,
        RemoteCertificateMode = RemoteCertificateMode.RequireCertificate,
        ClientCertificateMode = RemoteCertificateMode.RequireCertificate,
        // Self-signed certificates: chain errors are expected. The binding alone decides.
        RemoteCertificateValidation = (certificate, _, _) => accept(certificate),
    };

    private bool IsMeshNode(X509Certificate2 certificate, string direction)
    {
        if (!CertificateBinding.TryVerify(certificate, out var kind, out var key)) return Refuse(direction, "the certificate carries no valid PaxosGo binding");
        if (kind != BindingKind.Node) return Refuse(direction, "the certificate is bound to a client, not a node");
        if (!_meshKeys.Contains(Convert.ToHexStringLower(key))) return Refuse(direction, $"the certificate is bound to key {Convert.ToHexStringLower(key)[..12]}…, which is no node of the mesh");
        return true;
    }

    private bool IsAllowedClient(X509Certificate2 certificate)
    {
        const string direction = "gateway";
        if (!CertificateBinding.TryVerify(certificate, out var kind, out var key)) return Refuse(direction, "the certificate carries no valid PaxosGo binding");
        if (kind != BindingKind.Client) return Refuse(direction, "the certificate is bound to a node, not a client");
        if (key.AsSpan().SequenceEqual(_adminKey)) return true;
        string clientId = ClientRegistration.ClientIdOf(key);
        if (!_registry.IsRegistered(clientId, key)) return Refuse(direction, $"client {clientId[..12]}… is not registered for any application on this node");
        return true;
    }

    private bool Refuse(string direction, string reason)
    {
        Metrics.ConnectionsRefused.Add(1, new KeyValuePair<string, object?>("direction", direction));
        Log.ConnectionRefused(_logger, direction, reason);
        return false;
    }
}
