using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Cli;

/// <summary>
/// Reads one node's replica through its read-only HTTP API (the node's HTTP port in the mesh): the
/// way external tools read, with no key and no Orleans connection.
/// </summary>
internal sealed class NodeApi(HttpClient http)
{
    /// <summary>One node's answer: its JSON, or why there is none.</summary>
    public sealed record Answer(string Node, JsonElement? Body, string? Problem)
    {
        public bool Up => Body is not null;
    }

    /// <summary>An HTTP client with the per-request timeout.</summary>
    public static HttpClient CreateClient(TimeSpan timeout) => new() { Timeout = timeout };

    /// <summary>
    /// GETs <paramref name="path"/> from <paramref name="node"/>. A node that answers that the
    /// application is unknown makes the whole command fail (exit code 1): the node did answer.
    /// </summary>
    public async Task<Answer> GetAsync(MeshNode node, string path, CancellationToken cancellation)
    {
        var uri = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{Host(node.Endpoints.Host)}:{node.Endpoints.HttpPort}{path}"));
        try
        {
            using var response = await http.GetAsync(uri, cancellation).ConfigureAwait(false);
            var body = response.Content.Headers.ContentType?.MediaType == "application/json"
                ? await response.Content.ReadFromJsonAsync<JsonElement>(cancellation).ConfigureAwait(false)
                : (JsonElement?)null;
            if (response.StatusCode == HttpStatusCode.NotFound && Text(body, "error") == "unknown-application")
            {
                throw new CliException(Text(body, "message") ?? "unknown application");
            }

            if (!response.IsSuccessStatusCode || body is null)
            {
                return new Answer(node.Name, null, $"HTTP {(int)response.StatusCode}{(Text(body, "message") is { } m ? ": " + m : string.Empty)}");
            }

            return new Answer(node.Name, body, null);
        }
        catch (TaskCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return new Answer(node.Name, null, string.Create(CultureInfo.InvariantCulture, $"no answer within {http.Timeout.TotalSeconds:0} s"));
        }
        catch (HttpRequestException e)
        {
            return new Answer(node.Name, null, e.InnerException?.Message ?? e.Message);
        }
        catch (JsonException e)
        {
            return new Answer(node.Name, null, "the answer is not JSON: " + e.Message);
        }
    }

    /// <summary>A string property of an answer, if it has one.</summary>
    public static string? Text(JsonElement? body, string property) =>
        body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A number property of an answer (0 when missing).</summary>
    public static ulong Number(JsonElement? body, string property) =>
        body is { ValueKind: JsonValueKind.Object } b && b.TryGetProperty(property, out var value) && value.TryGetUInt64(out var n) ? n : 0;

    private static string Host(string host) => host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
}
