using System.Buffers.Binary;

namespace PaxosGo.Core;

/// <summary>
/// The payload an administrative command (client <see cref="Replica.AdminClientId"/>) has in the
/// log: the administrator's body (a <see cref="ClientRegistration"/>) and the administrator's
/// Ed25519 signature of the command's hash (<see cref="CommandEncoding.Hash"/> over the application,
/// <c>$admin</c>, the request id and the body). The signature travels in the log so that every
/// replica checks it when it applies the command: nothing that reaches a log without the
/// administrator's key can register a client, whichever path put it there.
/// </summary>
/// <remarks>Layout: the body's length (4 bytes little-endian), the body, the 64-byte signature.</remarks>
public static class AdministrativeCommand
{
    /// <summary>The length of an Ed25519 signature.</summary>
    public const int SignatureLength = 64;

    /// <summary>The log payload for <paramref name="body"/> signed with <paramref name="signature"/>.</summary>
    public static byte[] Wrap(ReadOnlySpan<byte> body, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != SignatureLength)
        {
            throw new ArgumentException($"An administrator signature is {SignatureLength} bytes.", nameof(signature));
        }

        var payload = new byte[4 + body.Length + SignatureLength];
        BinaryPrimitives.WriteInt32LittleEndian(payload, body.Length);
        body.CopyTo(payload.AsSpan(4));
        signature.CopyTo(payload.AsSpan(4 + body.Length));
        return payload;
    }

    /// <summary>Splits a log payload into body and signature; false when it does not have that layout.</summary>
    public static bool TryUnwrap(ReadOnlySpan<byte> payload, out ReadOnlySpan<byte> body, out ReadOnlySpan<byte> signature)
    {
        body = default;
        signature = default;
        if (payload.Length < 4 + SignatureLength) return false;
        int length = BinaryPrimitives.ReadInt32LittleEndian(payload);
        if (length < 0 || length != payload.Length - 4 - SignatureLength) return false;
        body = payload.Slice(4, length);
        signature = payload.Slice(4 + length, SignatureLength);
        return true;
    }

    /// <summary>
    /// What a replica checks before it executes an administrative command, in this order: the layout
    /// (<see cref="RejectionReason.Malformed"/>), the administrator's signature over the body for this
    /// application and request id (<see cref="RejectionReason.BadSignature"/>; always, when there is
    /// no administrator), and the body: a registration whose client id is its key's
    /// (<see cref="RejectionReason.Malformed"/>). Returns the registration, or why not.
    /// </summary>
    public static AdministrativeCheck Check(Administrator? administrator, Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (!TryUnwrap(command.Payload, out var body, out var signature)) return new(RejectionReason.Malformed, null);
        if (administrator is null || !administrator.HasSigned(command.RequestId, body, signature)) return new(RejectionReason.BadSignature, null);
        if (ClientRegistration.TryDecode(body) is not { IsWellFormed: true } registration) return new(RejectionReason.Malformed, null);
        return new(null, registration);
    }
}

/// <summary>The result of <see cref="AdministrativeCommand.Check"/>: the registration, or why the command is rejected.</summary>
public readonly record struct AdministrativeCheck(RejectionReason? Rejection, ClientRegistration? Registration);

/// <summary>Checks a signature against one fixed public key (the administrator's). Deterministic.</summary>
public interface ISignatureVerifier
{
    /// <summary>Whether <paramref name="signature"/> is a valid signature of <paramref name="data"/>.</summary>
    bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature);
}

/// <summary>
/// The administrator of one application as every replica knows it: administrative commands execute
/// only when signed with the administrator's key. Every replica of the application must be given
/// the same administrator, or they would decide differently; the host makes sure of that.
/// </summary>
public sealed class Administrator
{
    private readonly ISignatureVerifier _verifier;

    /// <summary>An administrator of <paramref name="application"/> whose signatures <paramref name="verifier"/> checks.</summary>
    public Administrator(string application, ISignatureVerifier verifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(application);
        ArgumentNullException.ThrowIfNull(verifier);
        Application = application;
        _verifier = verifier;
    }

    /// <summary>The application whose administrative commands this administrator signs.</summary>
    public string Application { get; }

    /// <summary>Whether <paramref name="signature"/> is the administrator's over the command (request id and body) for this application.</summary>
    public bool HasSigned(ulong requestId, ReadOnlySpan<byte> body, ReadOnlySpan<byte> signature) =>
        signature.Length == AdministrativeCommand.SignatureLength
        && _verifier.Verify(CommandEncoding.Hash(Application, Replica.AdminClientId, requestId, body), signature);
}
