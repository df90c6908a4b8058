using Orleans.Concurrency;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// Marks a grain method as part of the client surface: the only methods a call from outside the
/// cluster (an Orleans client) may reach. Every other method of a PaxosGo grain refuses such calls,
/// and checks cryptographically what it receives, because Orleans lets a client forge the sending id.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class ClientCallableAttribute : Attribute
{
}

/// <summary>A grain that receives signed protocol messages from other nodes.</summary>
public interface IProtocolGrain : IGrainWithStringKey
{
    /// <summary>
    /// Verifies the envelope against the mesh and queues its message. Returns once queued, not
    /// once processed. Throws <see cref="ProtocolMessageRejectedException"/> for a forged, misdirected
    /// or malformed envelope, which then changes nothing.
    /// </summary>
    [AlwaysInterleave]
    Task Deliver(SignedEnvelope envelope);

    /// <summary>
    /// What nodes send each other: the checks of <see cref="Deliver"/>, without an answer (a one-way
    /// call, one message on the wire instead of a request and its response; Paxos retries what is
    /// lost). A refused envelope is dropped and counted (<c>paxosgo.messages.rejected</c>).
    /// </summary>
    [AlwaysInterleave]
    [OneWay]
    Task Post(SignedEnvelope envelope);

    /// <summary>
    /// Messages of another node that this node's <see cref="INodeLinkGrain"/> received in a verified
    /// <see cref="LinkBatch"/> and relays, all of one application and role, in one one-way call. Only
    /// this node's link grain can make the <paramref name="attestation"/> (<see cref="InternalCalls"/>);
    /// without it, or addressed to another application or role, the call is refused and counted.
    /// </summary>
    [AlwaysInterleave]
    [OneWay]
    Task Relay(RelayedMessages messages, byte[] attestation);
}

/// <summary>
/// The end of one node's link from another node (key <c>{sender node}/{this node}</c>, pinned to this
/// node): receives that node's <see cref="LinkBatch"/>es, checks each once (signature, addressing,
/// replay) and relays its messages to this node's grains.
/// </summary>
public interface INodeLinkGrain : IGrainWithStringKey
{
    /// <summary>A batch of the sender's protocol messages, one-way; a refused batch is dropped whole and counted.</summary>
    [AlwaysInterleave]
    [OneWay]
    Task Post(LinkBatch batch);
}

/// <summary>Messages from node <paramref name="From"/> for one role of one application, relayed by this node's link grain.</summary>
/// <param name="Application">The application.</param>
/// <param name="Role">The receiving role, as <c>(byte)PaxosGo.Core.Role</c>.</param>
/// <param name="From">The sending node's mesh index (whose signature the link checked).</param>
/// <param name="Payloads">The encoded messages, in the order sent.</param>
[GenerateSerializer, Immutable]
public sealed record RelayedMessages(
    [property: Id(0)] string Application,
    [property: Id(1)] byte Role,
    [property: Id(2)] int From,
    [property: Id(3)] byte[][] Payloads);

/// <summary>An application's acceptor on one node (key <c>{application}/{node}</c>), pinned to that node's silo.</summary>
public interface IAcceptorGrain : IProtocolGrain
{
    /// <summary>What the acceptor holds, and where it runs.</summary>
    [AlwaysInterleave, ClientCallable]
    Task<AcceptorStatus> GetStatus();
}

/// <summary>An application's proposer on one node, pinned; the proposers elect one leader among themselves.</summary>
public interface IProposerGrain : IProtocolGrain
{
    /// <summary>
    /// Queues client commands for proposal (forwarded to the leader when this node does not lead):
    /// those this node's learner admitted in one turn, in one call. Only this node's grains call it,
    /// after the entry grain verified each client's authenticator: the <paramref name="attestation"/>
    /// over the whole batch (<see cref="InternalCalls"/>) proves it; without it the call is refused
    /// and nothing is proposed.
    /// </summary>
    [AlwaysInterleave]
    Task Submit(ClientCommand[] commands, byte[] attestation);

    /// <summary>This node's learner has applied every slot below <paramref name="nextSlot"/> (attested by this node).</summary>
    [AlwaysInterleave]
    Task NoteLearned(ulong nextSlot, byte[] attestation);

    /// <summary>This node's acceptor durably holds votes for slots below <paramref name="votedBelow"/> (attested by this node).</summary>
    [AlwaysInterleave]
    Task NoteVoted(ulong votedBelow, byte[] attestation);

    /// <summary>Standing, ballot, leader and progress.</summary>
    [AlwaysInterleave, ClientCallable]
    Task<ProposerStatus> GetStatus();
}

/// <summary>An application's learner on one node, pinned: applies chosen values to the node's replica.</summary>
public interface ILearnerGrain : IProtocolGrain
{
    /// <summary>
    /// A command this node's entry grain verified (attested): checks it against this replica (the
    /// client registered, after a read barrier if this replica does not know it yet; the request id
    /// not stale), proposes it through this node's proposer, and returns its result once this replica
    /// applied it. One call per signed command (<see cref="IApplicationGrain.Submit"/>); a session
    /// command is admitted inside the learner, which is also the <see cref="IClientGatewayGrain"/>.
    /// </summary>
    [AlwaysInterleave]
    Task<CommandReply> Admit(ClientCommand command, byte[] attestation);

    /// <summary>The replica's frontier, <c>state</c> and digest.</summary>
    [AlwaysInterleave, ClientCallable]
    Task<LearnerStatusReport> GetStatus();

    /// <summary>
    /// A linearizable read of <c>state</c>: proposes a read barrier through Paxos (it changes nothing)
    /// and answers once this replica has applied it, so the answer reflects every command
    /// acknowledged before the read started. Concurrent reads share barriers: at most one is in
    /// flight and one waits to follow it.
    /// </summary>
    [AlwaysInterleave, ClientCallable]
    Task<LearnerStatusReport> ReadLinearizable();

    /// <summary>A client's registered key (null when not registered) and last executed request id, from this replica (attested by this node's entry grain).</summary>
    [AlwaysInterleave]
    Task<ClientInfo> LookupClient(string clientId, byte[] attestation);
}

/// <summary>
/// The entry point of back-end clients for one application (key: the application name). A stateless
/// worker: it runs on the silo the client talks to and hands the command to that node's proposer.
/// </summary>
public interface IApplicationGrain : IGrainWithStringKey
{
    /// <summary>
    /// Verifies a signed command (size, shape, application, hash, registered client, signature,
    /// request id) and, if it passes, proposes it and returns its result with <c>state</c>. Retrying
    /// with the same request id is safe. A command that fails verification throws
    /// <see cref="Commands.CommandRejectedException"/> and nothing is proposed.
    /// </summary>
    [ClientCallable]
    Task<CommandReply> Submit(Commands.SignedCommand command);

    /// <summary>
    /// Opens a session with the node this call reached: checks that the client is registered and
    /// signed the request, then returns the node's signed grant. Commands of the session then go to
    /// <see cref="IClientGatewayGrain"/> <c>{application}/{grant.Node}</c>.
    /// </summary>
    [ClientCallable]
    Task<Commands.SessionGrant> OpenSession(Commands.SessionRequest request);

    /// <summary>This node's replica's <c>state</c> (it may lag the leader's).</summary>
    [ClientCallable]
    Task<ulong> GetState();
}

/// <summary>
/// One node's entry point for session-authenticated commands of one application (key
/// <c>{application}/{node}</c>, pinned to that node, where the session's key lives). The node's
/// learner of the application implements it, so that a verified command is admitted against the
/// replica without another grain call.
/// </summary>
public interface IClientGatewayGrain : IGrainWithStringKey
{
    /// <summary>
    /// Verifies a session command (size, shape, application, hash, session, MAC, registration, request
    /// id) and, if it passes, proposes it and returns its result. Retrying with the same request id is
    /// safe. An unknown session is rejected with <c>unknown-session</c>: open a new one and resend.
    /// </summary>
    [ClientCallable]
    Task<CommandReply> Submit(Commands.SessionCommand command);

    /// <summary>
    /// Opens a session with this grain's node, as <see cref="IApplicationGrain.OpenSession"/> does with
    /// whichever node a call reaches: a client that learned the leader (<see cref="CommandReply.Leader"/>)
    /// opens its session there, so its commands enter at the leader and are not forwarded.
    /// </summary>
    [ClientCallable]
    Task<Commands.SessionGrant> OpenSession(Commands.SessionRequest request);

    /// <summary>Closes a session; <paramref name="mac"/> is the session's close MAC. Anything else changes nothing.</summary>
    [ClientCallable]
    Task CloseSession(byte[] sessionId, byte[] mac);
}

/// <summary>
/// A back-end client's way in through whichever gateway carries its call (key
/// <c>{application}/{alias}</c>, alias 0 to <see cref="Aliases"/> − 1). A stateless worker, so it runs
/// on the silo whose gateway received the call, and hands a session command to the session node's
/// <see cref="IClientGatewayGrain"/>: at once on that silo when the call came in there, else one hop
/// on. An Orleans client connected to several gateways sends every call to one grain through the
/// gateway it first picked for that grain (round-robin, by buckets of grain ids), whatever node the
/// grain lives on; the replies say where each alias entered (<see cref="CommandReply.EnteredAt"/>), so
/// a client keeps to an alias that enters at its session's node (the leader) and its commands take no
/// extra hop between silos.
/// </summary>
public interface IClientEntryGrain : IGrainWithStringKey
{
    /// <summary>How many aliases each application has (a small number: each is an activation per silo).</summary>
    const int Aliases = 12;

    /// <summary>
    /// Hands <paramref name="command"/> to the <see cref="IClientGatewayGrain"/> of node
    /// <paramref name="node"/> (where the session is), which checks everything, and returns its reply
    /// with <see cref="CommandReply.EnteredAt"/> set to this node. A node not in the mesh is rejected
    /// (<c>malformed</c>).
    /// </summary>
    [ClientCallable]
    Task<CommandReply> Submit(string node, Commands.SessionCommand command);
}

/// <summary>What a replica knows about a client: its registered key (null when not registered) and its last executed request id.</summary>
[GenerateSerializer, Immutable]
public sealed record ClientInfo(
    [property: Id(0)] byte[]? PublicKey,
    [property: Id(1)] ulong LastRequestId);

/// <summary>
/// A verified client command, handed by the entry point to the node's proposer. For the administrator
/// (<c>$admin</c>) the payload is an <see cref="PaxosGo.Core.AdministrativeCommand"/>: the body with
/// the administrator's signature, which every replica checks again when it applies it.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ClientCommand(
    [property: Id(0)] string ClientId,
    [property: Id(1)] ulong RequestId,
    [property: Id(2)] byte[] Payload);

/// <summary>
/// The result of a command: <c>state</c> right after it executed, the machine's output, the node that
/// answered, and the node that answering node last saw leading the application (null when it knows
/// none), so that a client can send its next commands there; through an <see cref="IClientEntryGrain"/>,
/// also the node whose gateway the command came in by.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record CommandReply(
    [property: Id(0)] ulong State,
    [property: Id(1)] byte[] Output,
    [property: Id(2)] string Node,
    [property: Id(3)] string? Leader = null,
    [property: Id(4)] string? EnteredAt = null);

/// <summary>An acceptor's status.</summary>
[GenerateSerializer, Immutable]
public sealed record AcceptorStatus(
    [property: Id(0)] string Node,
    [property: Id(1)] string Silo,
    [property: Id(2)] ulong PromisedRound,
    [property: Id(3)] int PromisedNode,
    [property: Id(4)] ulong TruncatedBelow,
    [property: Id(5)] int Votes);

/// <summary>A proposer's status.</summary>
[GenerateSerializer, Immutable]
public sealed record ProposerStatus(
    [property: Id(0)] string Node,
    [property: Id(1)] string Silo,
    [property: Id(2)] string Standing,
    [property: Id(3)] ulong BallotRound,
    [property: Id(4)] string? Leader,
    [property: Id(5)] ulong ChosenBelow,
    [property: Id(6)] int Pending);

/// <summary>A learner's status: how far the replica has applied, its <c>state</c>, and a digest of its whole replicated state.</summary>
[GenerateSerializer, Immutable]
public sealed record LearnerStatusReport(
    [property: Id(0)] string Node,
    [property: Id(1)] string Silo,
    [property: Id(2)] ulong NextSlot,
    [property: Id(3)] ulong State,
    [property: Id(4)] string Digest);

/// <summary>The application is not one this cluster runs.</summary>
[GenerateSerializer]
public sealed class UnknownApplicationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public UnknownApplicationException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public UnknownApplicationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public UnknownApplicationException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
