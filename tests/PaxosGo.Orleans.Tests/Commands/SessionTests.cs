using PaxosGo.Core;
using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Tests.Identity;
using Xunit;

namespace PaxosGo.Orleans.Tests.Commands;

/// <summary>The session handshake and the node's session table, without a cluster.</summary>
public sealed class SessionTests : IDisposable
{
    private const string App = "counter";
    private readonly TestMesh _mesh = new("node-a", "node-b");
    private readonly NodeKey _clientKey = NodeKey.Generate();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-27T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly ClientSessionTable _table;

    public SessionTests() => _table = new ClientSessionTable(capacity: 3, idleTimeout: TimeSpan.FromMinutes(10), _time);

    public void Dispose()
    {
        _table.Dispose();
        _clientKey.Dispose();
        _mesh.Dispose();
    }

    private CommandSigner Signer => new(_clientKey);

    private (ClientSession Client, ClientSessionTable.Entry Server) Open(string node = "node-a", Mesh? mesh = null)
    {
        var (ephemeral, request) = ClientSession.Begin(Signer, App);
        using (ephemeral)
        {
            Assert.True(SessionHandshake.SignatureVerifies(_clientKey.PublicKey, SessionHandshake.RequestTranscript(App, Signer.ClientId, request.ClientEphemeral), request.Signature));
            var grant = _table.Open(request, _mesh.Identity(node))!;
            var client = ClientSession.Complete(ephemeral, request, grant, mesh ?? _mesh.Mesh);
            return (client, _table.Find(grant.SessionId)!);
        }
    }

    [Fact]
    public void ClientAndNode_DeriveTheSameKey_SoTheNodeVerifiesTheClientsMac()
    {
        var (client, server) = Open();
        using (client)
        {
            var command = client.Authenticate(7, [1, 2, 3]);
            Assert.Equal(CommandEncoding.Hash(App, Signer.ClientId, 7, [1, 2, 3]), command.Hash);
            Assert.True(SessionHandshake.MacVerifies(server.Key, command.SessionId, command.Hash, command.Mac));
            Assert.Equal(Signer.ClientId, server.ClientId);
            Assert.Equal("node-a", client.Node);
        }
    }

    [Fact]
    public void AlteredCommand_ForgedMac_OrAnotherSessionsMac_DoNotVerify()
    {
        var (first, server) = Open();
        var (second, _) = Open();
        using (first)
        using (second)
        {
            var command = first.Authenticate(7, [1]);
            byte[] alteredHash = CommandEncoding.Hash(App, Signer.ClientId, 7, [2]);
            Assert.False(SessionHandshake.MacVerifies(server.Key, command.SessionId, alteredHash, command.Mac));
            Assert.False(SessionHandshake.MacVerifies(server.Key, command.SessionId, command.Hash, RandomNumberGenerator.GetBytes(32)));
            var other = second.Authenticate(7, [1]);
            Assert.False(SessionHandshake.MacVerifies(server.Key, command.SessionId, command.Hash, other.Mac));
            Assert.False(SessionHandshake.MacVerifies(server.Key, other.SessionId, command.Hash, command.Mac));
            Assert.False(SessionHandshake.MacVerifies(server.Key, command.SessionId, command.Hash, command.Mac.AsSpan(0, 31)));
        }
    }

    [Fact]
    public void AGrantNotSignedByTheNamedMeshNode_IsRefusedByTheClient()
    {
        var (ephemeral, request) = ClientSession.Begin(Signer, App);
        using (ephemeral)
        {
            var grant = _table.Open(request, _mesh.Identity("node-b"))!;
            // node-b signed it, but the grant claims node-a.
            Assert.Throws<CryptographicException>(() => ClientSession.Complete(ephemeral, request, grant with { Node = "node-a" }, _mesh.Mesh));
            Assert.Throws<CryptographicException>(() => ClientSession.Complete(ephemeral, request, grant with { Node = "node-z" }, _mesh.Mesh));
            Assert.Throws<CryptographicException>(() => ClientSession.Complete(ephemeral, request, grant with { NodeEphemeral = RandomNumberGenerator.GetBytes(32) }, _mesh.Mesh));
            using var session = ClientSession.Complete(ephemeral, request, grant, _mesh.Mesh);
            Assert.Equal("node-b", session.Node);
        }
    }

    [Fact]
    public void AnUnusableClientEphemeral_OpensNoSession()
    {
        var (ephemeral, request) = ClientSession.Begin(Signer, App);
        ephemeral.Dispose();
        Assert.Null(_table.Open(request with { ClientEphemeral = new byte[32] }, _mesh.Identity("node-a"))); // the all-zero point
        Assert.Null(_table.Open(request with { ClientEphemeral = new byte[31] }, _mesh.Identity("node-a")));
        Assert.Equal(0, _table.Count);
    }

    [Fact]
    public void ASessionIdleLongerThanTheTimeout_Expires()
    {
        var (client, _) = Open();
        using (client)
        {
            _time.Advance(TimeSpan.FromMinutes(9));
            Assert.NotNull(_table.Find(client.SessionId)); // use renews it
            _time.Advance(TimeSpan.FromMinutes(9));
            Assert.NotNull(_table.Find(client.SessionId));
            _time.Advance(TimeSpan.FromMinutes(11));
            Assert.Null(_table.Find(client.SessionId));
            Assert.Equal(0, _table.Count);
        }
    }

    [Fact]
    public void AFullTable_EvictsTheLeastRecentlyUsedSession()
    {
        var sessions = new List<ClientSession>();
        for (int i = 0; i < 3; i++)
        {
            sessions.Add(Open().Client);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.NotNull(_table.Find(sessions[0].SessionId)); // the first is now the most recently used
        _time.Advance(TimeSpan.FromSeconds(1));
        sessions.Add(Open().Client);

        Assert.Equal(3, _table.Count);
        Assert.NotNull(_table.Find(sessions[0].SessionId));
        Assert.Null(_table.Find(sessions[1].SessionId));
        Assert.NotNull(_table.Find(sessions[2].SessionId));
        Assert.NotNull(_table.Find(sessions[3].SessionId));
        sessions.ForEach(s => s.Dispose());
    }

    [Fact]
    public void ClosingAClient_ClosesOnlyItsSessionsForThatApplication()
    {
        var (mine, _) = Open();
        using var otherKey = NodeKey.Generate();
        var (ephemeral, request) = ClientSession.Begin(new CommandSigner(otherKey), App);
        using (ephemeral)
        using (mine)
        {
            var theirs = _table.Open(request, _mesh.Identity("node-a"))!;
            Assert.Equal(0, _table.CloseClient("other-app", Signer.ClientId));
            Assert.Equal(1, _table.CloseClient(App, Signer.ClientId));
            Assert.Null(_table.Find(mine.SessionId));
            Assert.NotNull(_table.Find(theirs.SessionId));
        }
    }
}
