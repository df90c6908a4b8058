using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PaxosGo.NameServer.Hosting;
using PaxosGo.NameServer.Zones;

namespace PaxosGo.NameServer.Http;

/// <summary>
/// The name server's read-only routes on the node's HTTP API: what this node serves for each zone of
/// its replica of the zone map, and why not when a zone file was refused.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>GET /apps/{app}/zones</c>: every zone: replicated hash, hash and serial served, error.</item>
/// <item><c>GET /apps/{app}/zones/{name}</c>: one zone (any spelling of its name), or 404.</item>
/// </list>
/// </remarks>
public static class ZoneApi
{
    /// <summary>Maps the zone routes of this node.</summary>
    public static IEndpointRouteBuilder MapNameServerApi(this IEndpointRouteBuilder endpoints, string node)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = endpoints.ServiceProvider.GetRequiredService<NameServerOptions>();
        var catalog = endpoints.ServiceProvider.GetRequiredService<ZoneCatalog>();
        string app = options.Application;
        endpoints.MapGet($"/apps/{app}/zones", () => Results.Ok(new
        {
            application = app,
            node,
            servedState = catalog.ServedState,
            zones = catalog.Statuses,
        }));
        endpoints.MapGet($"/apps/{app}/zones/{{name}}", (string name) =>
        {
            if (ZoneName.Normalize(name, out var error) is not { } canonical)
            {
                return Results.Json(new { error = "bad-request", message = error }, statusCode: StatusCodes.Status400BadRequest);
            }

            var status = catalog.Statuses.FirstOrDefault(s => s.Name == canonical);
            return status is null
                ? Results.Json(new { error = "unknown-zone", message = $"Zone {canonical} is not in node '{node}''s replica of the zone map." }, statusCode: StatusCodes.Status404NotFound)
                : Results.Ok(new { application = app, node, zone = status });
        });
        return endpoints;
    }
}
