using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using PaxosGo.Orleans.Identity;
using Xunit;

namespace PaxosGo.Orleans.Tests.Identity;

/// <summary>The identity types that cross grain calls survive the Orleans serializer and copier.</summary>
public sealed class IdentitySerializationTests : IDisposable
{
    private readonly ServiceProvider services = new ServiceCollection().AddSerializer().BuildServiceProvider();

    public void Dispose() => services.Dispose();

    [Fact]
    public void Signed_envelope_round_trips_through_the_orleans_serializer()
    {
        var serializer = services.GetRequiredService<Serializer>();
        var envelope = new SignedEnvelope("kv", 1, 2, 1, [1, 2, 3], Enumerable.Range(0, 64).Select(i => (byte)i).ToArray(), new byte[32]);

        var copy = serializer.Deserialize<SignedEnvelope>(serializer.SerializeToArray(envelope));

        Assert.NotNull(copy);
        Assert.Equal(envelope.Application, copy.Application);
        Assert.Equal(envelope.From, copy.From);
        Assert.Equal(envelope.To, copy.To);
        Assert.Equal(envelope.Role, copy.Role);
        Assert.Equal(envelope.Payload, copy.Payload);
        Assert.Equal(envelope.Signature, copy.Signature);
    }

    [Fact]
    public void Rejection_exception_keeps_its_code_and_message_through_the_orleans_serializer()
    {
        var serializer = services.GetRequiredService<Serializer>();
        Exception original = new ProtocolMessageRejectedException(RejectionCodes.BadSignature, "the envelope from node 0 does not verify");

        var copy = serializer.Deserialize<Exception>(serializer.SerializeToArray(original));

        var rejected = Assert.IsType<ProtocolMessageRejectedException>(copy);
        Assert.Equal(RejectionCodes.BadSignature, rejected.Code);
        Assert.Equal("the envelope from node 0 does not verify", rejected.Message);
    }

    [Fact]
    public void Rejection_exception_keeps_its_code_through_the_orleans_copier()
    {
        var copier = services.GetRequiredService<DeepCopier>();
        var original = new ProtocolMessageRejectedException(RejectionCodes.Misdirected, "wrong node");

        var copy = copier.Copy(original);

        Assert.Equal(RejectionCodes.Misdirected, copy.Code);
        Assert.Equal("wrong node", copy.Message);
    }
}
