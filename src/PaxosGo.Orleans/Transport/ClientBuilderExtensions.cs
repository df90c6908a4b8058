using Orleans.Connections.Security;
using Orleans.Hosting;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Orleans.Transport;

/// <summary>Connects an Orleans client to a PaxosGo cluster over TLS.</summary>
public static class ClientBuilderExtensions
{
    /// <summary>
    /// TLS on every gateway connection of this client: the client presents a certificate bound to
    /// <paramref name="key"/> (a client key the administrator registered for some application, or the
    /// administrator's key: the silos refuse any other), and accepts only silos whose certificate is
    /// bound to a node of <paramref name="mesh"/>. The key signs the binding here, once; it is not kept.
    /// </summary>
    public static IClientBuilder UsePaxosGoTls(this IClientBuilder builder, NodeKey key, Mesh mesh)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(mesh);
        var certificate = CertificateBinding.Create(BindingKind.Client, key.PublicKey, data => key.Sign(data), "paxosgo-client " + key.NodeId[..16]);
        var meshKeys = mesh.Nodes.Select(n => n.PublicKey.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        return builder.UseTls(certificate, o =>
        {
            o.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
            o.RemoteCertificateValidation = (remote, _, _) =>
                CertificateBinding.TryVerify(remote, out var kind, out var nodeKey)
                && kind == BindingKind.Node
                && meshKeys.Contains(Convert.ToHexStringLower(nodeKey));
        });
    }
}
