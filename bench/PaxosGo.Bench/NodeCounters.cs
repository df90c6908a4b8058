using System.Text.Json;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Bench;

/// <summary>
/// The nodes' PaxosGo counters (each node's read API, <c>GET /metrics</c>), read before and after a
/// measured window: how many slots were committed, and what each cost in storage requests and
/// signature checks.
/// </summary>
internal static class NodeCounters
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    /// <summary>Every node's counters (instrument, then tags, then total); a node that does not answer is left out.</summary>
    public static async Task<Dictionary<string, Dictionary<string, Dictionary<string, long>>>> ReadAsync(Mesh mesh)
    {
        var read = await Task.WhenAll(mesh.Nodes.Select(async n =>
        {
            try
            {
                string json = await Http.GetStringAsync($"http://{n.Endpoints.Host}:{n.Endpoints.HttpPort}/metrics");
                using var doc = JsonDocument.Parse(json);
                var counters = doc.RootElement.GetProperty("counters").EnumerateObject().ToDictionary(
                    i => i.Name,
                    i => i.Value.EnumerateObject().ToDictionary(t => t.Name, t => t.Value.GetInt64()));
                return (n.Name, Counters: (Dictionary<string, Dictionary<string, long>>?)counters);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException)
            {
                return (n.Name, Counters: null);
            }
        }));
        return read.Where(r => r.Counters is not null).ToDictionary(r => r.Name, r => r.Counters!);
    }

    /// <summary>
    /// What the window between <paramref name="before"/> and <paramref name="after"/> cost: slots
    /// committed (the most any node applied), storage requests per slot (all nodes), and signature
    /// checks (Ed25519: node batches and envelopes, and clients' signatures) per command and per slot.
    /// </summary>
    public static object Costs(
        Dictionary<string, Dictionary<string, Dictionary<string, long>>> before,
        Dictionary<string, Dictionary<string, Dictionary<string, long>>> after,
        long commands)
    {
        var nodes = before.Keys.Intersect(after.Keys).Order(StringComparer.Ordinal).ToArray();
        long Delta(string node, string instrument, Func<string, bool> tags) =>
            Sum(after[node], instrument, tags) - Sum(before[node], instrument, tags);
        long slots = nodes.Length == 0 ? 0 : nodes.Max(n => Delta(n, "paxosgo.slots.applied", _ => true));
        long storage = nodes.Sum(n => Delta(n, "paxosgo.storage.requests", _ => true));
        long checks = nodes.Sum(n => Delta(n, "paxosgo.envelope.signatures", t => t == "op=verify") + Delta(n, "paxosgo.command.signatures", _ => true));
        long made = nodes.Sum(n => Delta(n, "paxosgo.envelope.signatures", t => t == "op=sign"));
        double? Per(long what, long per) => per == 0 ? null : Math.Round((double)what / per, 3);
        return new
        {
            nodes_counted = nodes,
            slots,
            commands_per_slot = Per(commands, slots),
            storage_requests = storage,
            storage_requests_per_slot = Per(storage, slots),
            signature_checks = checks,
            signature_checks_per_command = Per(checks, commands),
            signature_checks_per_slot = Per(checks, slots),
            signatures_made_per_slot = Per(made, slots),
        };
    }

    private static long Sum(Dictionary<string, Dictionary<string, long>> counters, string instrument, Func<string, bool> tags) =>
        counters.TryGetValue(instrument, out var byTags) ? byTags.Where(t => tags(t.Key)).Sum(t => t.Value) : 0;
}
