using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;
using DnsClient;
using DnsClient.Protocol;
using PaxosGo.NameServer;
using PaxosGo.NameServer.Storage;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Tests.Cluster;
using PaxosGo.Orleans.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Orleans.Tests.NameServer;

/// <summary>
/// The name server on a real cluster (TestCluster silos on Azurite, DNS on each node's mesh port),
/// queried by a real resolver: every node answers every record type over UDP and TCP, follows puts
/// and deletes within a bounded time, truncates over UDP, refuses tampered, missing and invalid zone
/// files at the entry node with nothing proposed, and serves its zones again after a restart.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class NameServerClusterTests(AzuriteFixture azurite)
{
    private const string App = "dns";
    private const string Zone = "example.com";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>How soon after a put or delete commits every node answers from it (the bound the docs state).</summary>
    private static readonly TimeSpan ServedWithin = TimeSpan.FromSeconds(5);

    private static string ExampleZone() => File.ReadAllText(Path.Combine(AzuriteFixture.FindRepositoryRoot(), "deploy/example.com.zone"));

    private static string Version(uint serial, string extra = "") =>
        ExampleZone().Replace("2026120101", serial.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) + extra;

    private static readonly string BigTxt = string.Concat(Enumerable.Range(0, 8).Select(i => $"big IN TXT \"{new string((char)('a' + i), 100)}\"\n"));

    [Fact]
    public async Task EveryNode_AnswersEveryRecordType_OverUdpAndTcp_FollowsPutsAndDeletes_AndRefusesBadZoneFilesAtEntry()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString, withNameServer: true);
        var (client, store) = await SetUpAsync(cluster);
        var probes = PaxosTestCluster.Nodes.Select(n => new DnsProbe(cluster.DnsEndPoint(n))).ToArray();
        ulong request = 0;

        // Put: every node serves it within the bound.
        var put = await PutAsync(cluster, client, store, ++request, Version(2026120101));
        Assert.Equal((byte)ZoneOutcome.Added, Assert.Single(put.Output));
        foreach (var probe in probes)
        {
            await probe.WaitUntilAsync("www.example.com", QueryType.A, a => a.Answers.ARecords().Any(), ServedWithin);
        }

        foreach (var probe in probes)
        {
            foreach (var resolver in new[] { probe.Udp, probe.Tcp })
            {
                await CheckEveryAnswerAsync(resolver, probe.Server);
            }
        }

        // Update: the new serial everywhere within the bound; a large answer is truncated over UDP and whole over TCP.
        var update = await PutAsync(cluster, client, store, ++request, Version(2026120102, BigTxt));
        Assert.Equal((byte)ZoneOutcome.Replaced, Assert.Single(update.Output));
        foreach (var probe in probes)
        {
            await probe.WaitUntilAsync(Zone, QueryType.SOA, a => a.Answers.SoaRecords().Any(s => s.Serial == 2026120102), ServedWithin);
            var truncated = probe.RawUdp("big.example.com", ARSoft.Tools.Net.Dns.RecordType.Txt);
            Assert.True(truncated.IsTruncated, $"{probe.Server}: no TC over UDP");
            Assert.Equal(4242, truncated.TransactionID);
            var whole = await probe.Tcp.QueryAsync("big.example.com", QueryType.TXT);
            Assert.False(whole.Header.ResultTruncated);
            Assert.Equal(8, whole.Answers.TxtRecords().Count());
        }

        ulong state = update.State;

        // Refused at the entry node, nothing proposed: a tampered file, a missing one, an invalid one.
        byte[] good = Encoding.UTF8.GetBytes(Version(2026120103));
        byte[] goodHash = SHA256.HashData(good);
        var blob = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(cluster.ZoneContainer).GetBlobClient(ZoneFileStore.BlobNameOf(goodHash));
        await blob.UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(Version(2026120199))), overwrite: true); // what is stored is not what hashes to the key
        var tampered = await RefusedAsync(cluster, client.Sign(App, ++request, ZoneCommand.Put(Zone, goodHash).Encode()));
        Assert.Contains("does not hash", tampered.Message, StringComparison.Ordinal);
        var missing = await RefusedAsync(cluster, client.Sign(App, ++request, ZoneCommand.Put(Zone, SHA256.HashData("never stored"u8)).Encode()));
        Assert.Contains("not in storage", missing.Message, StringComparison.Ordinal);
        byte[] wrongSoa = await store.PutAsync(Encoding.UTF8.GetBytes(Version(5).Replace("$ORIGIN example.com.", "$ORIGIN example.net.", StringComparison.Ordinal)));
        var invalid = await RefusedAsync(cluster, client.Sign(App, ++request, ZoneCommand.Put(Zone, wrongSoa).Encode()));
        Assert.Contains("SOA", invalid.Message, StringComparison.Ordinal);
        var malformed = await RefusedAsync(cluster, client.Sign(App, ++request, [9, 9, 9]));
        Assert.Contains("not a zone command", malformed.Message, StringComparison.Ordinal);

        // None of them moved state, and every node still answers from the last good version.
        var after = await cluster.SubmitAsync(client.Sign(App, ++request, ZoneCommand.Delete("absent.example").Encode()), Patience);
        Assert.Equal((byte)ZoneOutcome.NotFound, Assert.Single(after.Output));
        Assert.Equal(state + 1, after.State);
        foreach (var probe in probes) Assert.Equal(2026120102u, await probe.SerialAsync(Zone));

        // Delete: every node stops answering for the zone within the bound.
        var delete = await cluster.SubmitAsync(client.Sign(App, ++request, ZoneCommand.Delete(Zone).Encode()), Patience);
        Assert.Equal((byte)ZoneOutcome.Deleted, Assert.Single(delete.Output));
        foreach (var probe in probes)
        {
            await probe.WaitUntilAsync("www.example.com", QueryType.A, a => a.Header.ResponseCode == DnsHeaderResponseCode.Refused, ServedWithin);
        }
    }

    [Fact]
    public async Task ARestartedNode_ServesItsZonesAgain_FromItsReplicaAndStorage()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString, withNameServer: true);
        var (client, store) = await SetUpAsync(cluster);
        await PutAsync(cluster, client, store, 1, Version(2026120107));
        var probe = new DnsProbe(cluster.DnsEndPoint("node-b"));
        await probe.WaitUntilAsync(Zone, QueryType.SOA, a => a.Answers.SoaRecords().Any(s => s.Serial == 2026120107), ServedWithin);

        await cluster.Cluster.StopSiloAsync(cluster.SiloOf("node-b"));
        await Assert.ThrowsAsync<DnsResponseException>(() => probe.Udp.QueryAsync(Zone, QueryType.SOA)); // nobody listens

        await cluster.RestartAsync("node-b");
        await probe.WaitUntilAsync(Zone, QueryType.SOA, a => a.Answers.SoaRecords().Any(s => s.Serial == 2026120107), Patience);
        var www = await probe.Tcp.QueryAsync("www.example.com", QueryType.A);
        Assert.Equal("192.0.2.10", Assert.Single(www.Answers.ARecords()).Address.ToString());
    }

    private async Task<(CommandSigner Client, ZoneFileStore Store)> SetUpAsync(PaxosTestCluster cluster)
    {
        var key = NodeKey.Generate();
        await cluster.SubmitAsync(cluster.Admin.Registration(App, cluster.NextAdminRequest(), true, key.NodeId, key.PublicKey), Patience);
        var store = new ZoneFileStore(new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(cluster.ZoneContainer));
        return (new CommandSigner(key), store);
    }

    private static async Task<CommandReply> PutAsync(PaxosTestCluster cluster, CommandSigner client, ZoneFileStore store, ulong request, string text)
    {
        byte[] hash = await store.PutAsync(Encoding.UTF8.GetBytes(text));
        return await cluster.SubmitAsync(client.Sign(App, request, ZoneCommand.Put(Zone, hash).Encode()), Patience);
    }

    private static async Task<CommandRejectedException> RefusedAsync(PaxosTestCluster cluster, SignedCommand command)
    {
        var refused = await Assert.ThrowsAsync<CommandRejectedException>(() => cluster.SubmitAsync(command, Patience));
        Assert.Equal(CommandRejectionCodes.Invalid, refused.Code);
        return refused;
    }

    private static async Task CheckEveryAnswerAsync(LookupClient resolver, IPEndPoint server)
    {
        async Task<IDnsQueryResponse> Ask(string name, QueryType type, DnsHeaderResponseCode code = DnsHeaderResponseCode.NoError)
        {
            var answer = await resolver.QueryAsync(name, type);
            Assert.True(code == answer.Header.ResponseCode, $"{server} {name} {type}: {answer.Header.ResponseCode}");
            Assert.True(answer.Header.HasAuthorityAnswer || code == DnsHeaderResponseCode.Refused, $"{server} {name} {type}: no AA");
            return answer;
        }

        Assert.Equal("192.0.2.10", Assert.Single((await Ask("www.example.com", QueryType.A)).Answers.ARecords()).Address.ToString());
        Assert.Equal(IPAddress.Parse("2001:db8::10"), Assert.Single((await Ask("www.example.com", QueryType.AAAA)).Answers.AaaaRecords()).Address);
        Assert.Equal("www.example.com.", Assert.Single((await Ask("api.example.com", QueryType.CNAME)).Answers.CnameRecords()).CanonicalName.Value);
        var alias = await Ask("api.example.com", QueryType.A);
        Assert.Single(alias.Answers.CnameRecords());
        Assert.Single(alias.Answers.ARecords());
        var mx = Assert.Single((await Ask(Zone, QueryType.MX)).Answers.MxRecords());
        Assert.Equal((10, "mail.example.com."), (mx.Preference, mx.Exchange.Value));
        Assert.Equal(2, (await Ask(Zone, QueryType.NS)).Answers.NsRecords().Count());
        Assert.Equal(2026120101u, Assert.Single((await Ask(Zone, QueryType.SOA)).Answers.SoaRecords()).Serial);
        Assert.Equal("v=spf1 -all", Assert.Single(Assert.Single((await Ask(Zone, QueryType.TXT)).Answers.TxtRecords()).Text));
        var srv = Assert.Single((await Ask("_sip._tcp.example.com", QueryType.SRV)).Answers.SrvRecords());
        Assert.Equal((10, 60, 5060, "sip.example.com."), (srv.Priority, srv.Weight, srv.Port, srv.Target.Value));

        var nx = await Ask("nope.example.com", QueryType.A, DnsHeaderResponseCode.NotExistentDomain);
        Assert.Empty(nx.Answers);
        Assert.Equal(2026120101u, Assert.Single(nx.Authorities.SoaRecords()).Serial);
        var nodata = await Ask("www.example.com", QueryType.MX);
        Assert.Empty(nodata.Answers);
        Assert.Single(nodata.Authorities.SoaRecords());
        var refused = await Ask("www.example.org", QueryType.A, DnsHeaderResponseCode.Refused);
        Assert.False(refused.Header.HasAuthorityAnswer);
        Assert.Empty(refused.Answers);
    }
}
