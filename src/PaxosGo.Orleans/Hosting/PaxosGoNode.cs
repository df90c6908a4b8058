using Microsoft.Extensions.Options;
using PaxosGo.Core;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Orleans.Hosting;

/// <summary>
/// Everything a silo knows about itself as a PaxosGo node: its identity in the mesh, how it signs
/// and verifies protocol envelopes, and the PaxosGo options. One per silo.
/// </summary>
public sealed class PaxosGoNode
{
    /// <summary>Creates the node services for <paramref name="identity"/>.</summary>
    public PaxosGoNode(NodeIdentity identity, IOptions<PaxosGoOptions> options)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(options);
        Identity = identity;
        Options = options.Value;
        Options.Validate();
        Signer = new EnvelopeSigner(identity);
        Verifier = new EnvelopeVerifier(identity.Mesh);
        NodeIds = Enumerable.Range(0, identity.Mesh.Count).Select(i => new NodeId(i)).ToArray();
    }

    /// <summary>This node's identity and the mesh.</summary>
    public NodeIdentity Identity { get; }

    /// <summary>The PaxosGo options.</summary>
    public PaxosGoOptions Options { get; }

    /// <summary>Signs outgoing envelopes with this node's key.</summary>
    public EnvelopeSigner Signer { get; }

    /// <summary>Verifies incoming envelopes against the mesh.</summary>
    public EnvelopeVerifier Verifier { get; }

    /// <summary>Every node of the mesh as the protocol core numbers them.</summary>
    public IReadOnlyList<NodeId> NodeIds { get; }

    /// <summary>This node as the protocol core numbers it.</summary>
    public NodeId Self => new(Identity.Index);

    /// <summary>Whether this cluster runs <paramref name="application"/>.</summary>
    public bool Runs(string application) => Options.Applications.Contains(application, StringComparer.Ordinal);
}
