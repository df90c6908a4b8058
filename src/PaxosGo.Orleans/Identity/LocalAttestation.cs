using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PaxosGo.Orleans.Identity;

/// <summary>
/// Authenticates the calls one node's grains make to each other on the same silo (the entry grain
/// handing a verified command to the proposer, the learner and acceptor reporting progress to it,
/// the entry grain asking the learner for a result): an HMAC-SHA256 under a 32-byte key drawn at
/// random when the silo starts, which never leaves the process. An Orleans client can address these
/// grain methods (Orleans lets any client name any grain and forge the sending grain id), but it
/// cannot produce a valid attestation, so the call is refused and changes nothing. Thread-safe.
/// </summary>
public sealed class LocalAttestation
{
    /// <summary>The length of an attestation.</summary>
    public const int Length = 32;

    private const string Domain = "paxosgo-local-v1";
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    /// <summary>The attestation of <paramref name="call"/> for <paramref name="application"/> with its arguments.</summary>
    public byte[] Attest(InternalCall call, string application, string text, ulong number, ReadOnlySpan<byte> data) =>
        HMACSHA256.HashData(_key, Canonical(call, application, text, number, data));

    /// <summary>Whether <paramref name="attestation"/> is this node's for the call and arguments (constant time).</summary>
    public bool Verifies(byte[]? attestation, InternalCall call, string application, string text, ulong number, ReadOnlySpan<byte> data) =>
        attestation is { Length: Length }
        && CryptographicOperations.FixedTimeEquals(attestation, Attest(call, application, text, number, data));

    /// <summary>Throws <see cref="ProtocolMessageRejectedException"/> (<see cref="RejectionCodes.Unauthenticated"/>) unless the attestation verifies.</summary>
    public void Require(byte[]? attestation, InternalCall call, string application, string text, ulong number, ReadOnlySpan<byte> data)
    {
        if (!Verifies(attestation, call, application, text, number, data))
        {
            throw new ProtocolMessageRejectedException(
                RejectionCodes.Unauthenticated,
                $"{call} of '{application}' is an internal call of this node and carries no valid attestation of it: refused, nothing changed.");
        }
    }

    /// <summary>The seal of a protocol envelope this node sends to itself (<paramref name="canonical"/>: the envelope's canonical bytes).</summary>
    public byte[] SealEnvelope(ReadOnlySpan<byte> canonical) => Attest(InternalCall.Envelope, "", "", 0, canonical);

    /// <summary>Whether <paramref name="seal"/> is this node's seal of the envelope whose canonical bytes are <paramref name="canonical"/> (constant time).</summary>
    public bool VerifiesEnvelope(byte[]? seal, ReadOnlySpan<byte> canonical) => Verifies(seal, InternalCall.Envelope, "", "", 0, canonical);

    private static byte[] Canonical(InternalCall call, string application, string text, ulong number, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(text);
        int app = Encoding.UTF8.GetByteCount(application), txt = Encoding.UTF8.GetByteCount(text);
        var buffer = new byte[Domain.Length + 1 + 4 + app + 4 + txt + 8 + 4 + data.Length];
        var span = buffer.AsSpan();
        int at = Encoding.ASCII.GetBytes(Domain, span);
        span[at++] = (byte)call;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], app);
        at += 4 + Encoding.UTF8.GetBytes(application, span[(at + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], txt);
        at += 4 + Encoding.UTF8.GetBytes(text, span[(at + 4)..]);
        BinaryPrimitives.WriteUInt64LittleEndian(span[at..], number);
        at += 8;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], data.Length);
        data.CopyTo(span[(at + 4)..]);
        return buffer;
    }
}

/// <summary>The internal calls that carry an attestation.</summary>
public enum InternalCall : byte
{
    /// <summary>A verified client command for the node's proposer.</summary>
    Submit = 1,

    /// <summary>The node's learner applied every slot below a number.</summary>
    NoteLearned = 2,

    /// <summary>The node's acceptor durably holds votes below a slot.</summary>
    NoteVoted = 3,

    /// <summary>The entry grain hands a verified command to the learner, which admits it and waits for its result.</summary>
    Admit = 4,

    /// <summary>The entry grain looks a client up in the node's replica.</summary>
    LookupClient = 5,

    /// <summary>A protocol envelope one of the node's grains sends to another of the same node.</summary>
    Envelope = 6,

    /// <summary>Messages of another node that the node's link grain verified and relays to a grain.</summary>
    Relay = 7,
}
