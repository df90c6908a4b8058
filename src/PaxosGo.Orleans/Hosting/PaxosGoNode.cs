using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PaxosGo.Core;
using PaxosGo.Orleans.Identity;
using ClusterDigests = PaxosGo.Orleans.Identity.ClusterDigest;

namespace PaxosGo.Orleans.Hosting;

/// <summary>
/// Everything a silo knows about itself as a PaxosGo node: its identity in the mesh, how it signs
/// and verifies protocol envelopes, how it attests its internal calls, the administrator, and the
/// PaxosGo options. One per silo.
/// </summary>
public sealed class PaxosGoNode
{
    /// <summary>
    /// Creates the node services for <paramref name="identity"/>, and checks that every application
    /// has a state machine in <paramref name="services"/>.
    /// </summary>
    public PaxosGoNode(NodeIdentity identity, IOptions<PaxosGoOptions> options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(services);
        Identity = identity;
        Options = options.Value;
        Options.Validate();
        if (services.GetService<IServiceProviderIsKeyedService>() is { } keyed)
        {
            foreach (var application in Options.Applications)
            {
                if (!keyed.IsKeyedService(typeof(IStateMachine), application))
                {
                    throw new InvalidOperationException($"PaxosGo: application '{application}' has no state machine: add it with siloBuilder.AddApplication<TStateMachine>(\"{application}\").");
                }
            }
        }

        AdminPublicKey = Options.AdminKeyBytes();
        ClusterDigest = ClusterDigests.Compute(identity.Mesh, AdminPublicKey);
        // Envelopes between this node's own grains are sealed with the process's local key (an HMAC),
        // envelopes between nodes signed with the node's Ed25519 key.
        Signer = new EnvelopeSigner(identity, ClusterDigest, Attestation);
        Verifier = new EnvelopeVerifier(identity.Mesh, ClusterDigest, identity.Index, Attestation);
        NodeIds = Enumerable.Range(0, identity.Mesh.Count).Select(i => new NodeId(i)).ToArray();
        _adminVerifier = new Ed25519Verifier(AdminPublicKey);
        _applications = new HashSet<string>(Options.Applications, StringComparer.Ordinal);
    }

    private readonly HashSet<string> _applications;

    private readonly Ed25519Verifier _adminVerifier;

    /// <summary>The administrator's raw Ed25519 public key.</summary>
    public byte[] AdminPublicKey { get; }

    /// <summary>
    /// The digest of what every node must be configured with alike (mesh and administrator key);
    /// carried and signed in every envelope, refused when it differs.
    /// </summary>
    public byte[] ClusterDigest { get; }

    /// <summary>Attests this node's internal grain calls (a key that never leaves the process).</summary>
    public LocalAttestation Attestation { get; } = new();

    /// <summary>The administrator as the replicas of <paramref name="application"/> check it.</summary>
    public Administrator AdministratorOf(string application) => new(application, _adminVerifier);

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
    public bool Runs(string application) => _applications.Contains(application);
}
