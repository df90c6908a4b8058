using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PaxosGo.Orleans.Http;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Orleans.Tests.Cluster;

/// <summary>The read-only HTTP API, served over real HTTP (Kestrel on loopback) against a real cluster.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ReadApiTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReadApi_ServesStateHealthMeshAndCounters_LinearizableReadsSeeEveryAcknowledgedCommand_AndNothingWrites()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var mesh = Mesh.Load(Path.Combine(cluster.Directory, "mesh.json"));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSingleton(cluster.Grains);
        builder.Services.AddSingleton<MetricTotals>();
        await using var web = builder.Build();
        web.MapPaxosGoReadApi("node-c", mesh, [PaxosTestCluster.Application]);
        await web.StartAsync();
        string address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address) };

        var client = await cluster.RegisterClientAsync(Patience);
        ulong acknowledged = 0;
        for (ulong r = 1; r <= 5; r++) acknowledged = (await cluster.SubmitAsync(client, r, [1], Patience)).State;

        // A linearizable read on node-c reflects every acknowledged command, whoever answered them.
        var linearizable = await http.GetFromJsonAsync<JsonElement>($"/apps/{PaxosTestCluster.Application}/state?consistency=linearizable");
        Assert.True(linearizable.GetProperty("state").GetUInt64() >= acknowledged);
        Assert.Equal("node-c", linearizable.GetProperty("node").GetString());
        // The barrier changed nothing: state is exactly the acknowledged one, on every replica.
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);
        Assert.All(replicas, r => Assert.Equal(acknowledged, r.State));
        var local = await http.GetFromJsonAsync<JsonElement>($"/apps/{PaxosTestCluster.Application}/state");
        Assert.Equal(acknowledged, local.GetProperty("state").GetUInt64());

        var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var meshStatus = await http.GetFromJsonAsync<JsonElement>("/mesh");
        Assert.All(meshStatus.GetProperty("nodes").EnumerateArray(), n => Assert.True(n.GetProperty("up").GetBoolean()));
        Assert.Contains(meshStatus.GetProperty("leaders").GetProperty(PaxosTestCluster.Application).GetString(), PaxosTestCluster.Nodes);

        // Nothing on this port writes; unknown applications and bad parameters are clear errors.
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync($"/apps/{PaxosTestCluster.Application}/state", new StringContent("{}"))).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.DeleteAsync($"/apps/{PaxosTestCluster.Application}/state")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/apps/no-such-app/state")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync($"/apps/{PaxosTestCluster.Application}/state?consistency=eventual")).StatusCode);
        Assert.Equal(acknowledged, (await http.GetFromJsonAsync<JsonElement>($"/apps/{PaxosTestCluster.Application}/state")).GetProperty("state").GetUInt64());

        // The node's own status: its replica and its proposer's view of the leader.
        var status = await http.GetFromJsonAsync<JsonElement>($"/apps/{PaxosTestCluster.Application}/status");
        Assert.Equal(acknowledged, status.GetProperty("state").GetUInt64());
        Assert.Contains(status.GetProperty("leader").GetString(), PaxosTestCluster.Nodes);
        Assert.False(string.IsNullOrEmpty(status.GetProperty("standing").GetString()));

        // The node's counters since the API started: the commands above were applied and their votes written.
        var counters = (await http.GetFromJsonAsync<JsonElement>("/metrics")).GetProperty("counters");
        Assert.True(counters.GetProperty("paxosgo.commands.executed").GetProperty("").GetInt64() >= 5);
        Assert.True(counters.GetProperty("paxosgo.slots.applied").GetProperty("").GetInt64() >= 1);
        Assert.True(counters.GetProperty("paxosgo.storage.requests").GetProperty("kind=append").GetInt64() >= 1);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync("/metrics", new StringContent("{}"))).StatusCode);

        // Requested names are never echoed unless they are valid application names, and nothing is sniffed.
        foreach (string path in new[] { "/health", "/apps", "/mesh", "/metrics", $"/apps/{PaxosTestCluster.Application}/state", "/apps/%3Cscript%3Ealert(1)%3C%2Fscript%3E/state", "/apps/x%22y/status" })
        {
            var response = await http.GetAsync(path);
            Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            string body = await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain("script", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("alert", body, StringComparison.Ordinal);
            Assert.DoesNotContain("x\\u0022y", body, StringComparison.Ordinal);
            Assert.DoesNotContain("x\\\"y", body, StringComparison.Ordinal);
        }

        var unknown = await http.GetAsync("/apps/%3Cscript%3E/state");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("unknown-application", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());

        // A node that is down shows as down.
        await cluster.Cluster.KillSiloAsync(cluster.SiloOf("node-a"));
        var deadline = DateTime.UtcNow + Patience;
        bool seenDown = false;
        while (!seenDown && DateTime.UtcNow < deadline)
        {
            var after = await http.GetFromJsonAsync<JsonElement>("/mesh");
            seenDown = after.GetProperty("nodes").EnumerateArray().Any(n => n.GetProperty("name").GetString() == "node-a" && !n.GetProperty("up").GetBoolean());
        }

        Assert.True(seenDown, "node-a was never reported down");
        await web.StopAsync();
    }
}
