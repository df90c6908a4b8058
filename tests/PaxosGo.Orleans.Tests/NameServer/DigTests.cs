using System.Diagnostics;
using System.Text;
using Azure.Storage.Blobs;
using DnsClient;
using PaxosGo.NameServer;
using PaxosGo.NameServer.Storage;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Tests.Cluster;
using PaxosGo.Orleans.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Orleans.Tests.NameServer;

/// <summary>BIND's dig, the tool operators reach for, gets an authoritative answer from a node (skipped, and says so, where dig is not installed).</summary>
[Collection(AzuriteCollection.Name)]
public sealed class DigTests(AzuriteFixture azurite)
{
    [SkippableFact]
    public async Task Dig_GetsAnAuthoritativeAnswer_FromANode()
    {
        string? dig = FindDig();
        Skip.If(dig is null, "dig is not installed (Debian package bind9-dnsutils): this test did not run");

        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString, withNameServer: true);
        using var key = NodeKey.Generate();
        await cluster.SubmitAsync(cluster.Admin.Registration("dns", cluster.NextAdminRequest(), true, key.NodeId, key.PublicKey), TimeSpan.FromSeconds(30));
        var store = new ZoneFileStore(new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(cluster.ZoneContainer));
        byte[] hash = await store.PutAsync(await File.ReadAllBytesAsync(Path.Combine(AzuriteFixture.FindRepositoryRoot(), "deploy/example.com.zone")));
        await cluster.SubmitAsync(new CommandSigner(key).Sign("dns", 1, ZoneCommand.Put("example.com", hash).Encode()), TimeSpan.FromSeconds(30));
        var node = cluster.DnsEndPoint("node-c");
        await new DnsProbe(node).WaitUntilAsync("www.example.com", QueryType.A, a => a.Answers.ARecords().Any(), TimeSpan.FromSeconds(5));

        string output = Run(dig!, $"@127.0.0.1 -p {node.Port} www.example.com A +norec +time=2 +tries=1");
        Assert.Contains("status: NOERROR", output, StringComparison.Ordinal);
        Assert.Matches(@"flags: qr aa;", output);
        Assert.Matches(@"www\.example\.com\.\s+300\s+IN\s+A\s+192\.0\.2\.10", output);
        string tcp = Run(dig!, $"@127.0.0.1 -p {node.Port} nope.example.com A +norec +tcp +time=2 +tries=1");
        Assert.Contains("status: NXDOMAIN", tcp, StringComparison.Ordinal);
        Assert.Matches(@"example\.com\.\s+300\s+IN\s+SOA", tcp);
    }

    private static string? FindDig() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(dir => Path.Combine(dir, "dig"))
            .FirstOrDefault(File.Exists);

    private static string Run(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = new StringBuilder(process.StandardOutput.ReadToEnd());
        output.Append(process.StandardError.ReadToEnd());
        Assert.True(process.WaitForExit(10_000), "dig did not finish");
        return output.ToString();
    }
}
