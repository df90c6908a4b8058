using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Orleans.Http;

/// <summary>
/// The read-only HTTP API every node serves to external clients. Only GET routes exist: nothing on
/// this port can change state (other methods get 405).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>GET /health</c>: 200 when this node's learners answer, 503 otherwise.</item>
/// <item><c>GET /apps</c>: the applications.</item>
/// <item><c>GET /apps/{app}/state</c>: this node's replica (<c>state</c>, next slot, digest): fast, possibly behind.</item>
/// <item><c>GET /apps/{app}/state?consistency=linearizable</c>: reflects every command acknowledged before the request (a read barrier through Paxos).</item>
/// <item><c>GET /mesh</c>: every node of the mesh, up or down, and the leader of each application as this node sees it.</item>
/// </list>
/// </remarks>
public static class ReadApi
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Maps the read API of node <paramref name="node"/>.</summary>
    public static IEndpointRouteBuilder MapPaxosGoReadApi(this IEndpointRouteBuilder endpoints, string node, Mesh mesh, IReadOnlyList<string> applications)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(applications);
        var grains = endpoints.ServiceProvider.GetRequiredService<IGrainFactory>();

        endpoints.MapGet("/health", async () =>
        {
            try
            {
                foreach (var app in applications)
                {
                    await grains.GetGrain<ILearnerGrain>(GrainKeys.For(app, node)).GetStatus().WaitAsync(ProbeTimeout);
                }

                return Results.Ok(new { node, status = "ok" });
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return Results.Json(new { node, status = "unavailable", error = e.GetBaseException().Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });

        endpoints.MapGet("/apps", () => Results.Ok(new { node, applications }));

        endpoints.MapGet("/apps/{app}/state", async (string app, string? consistency) =>
        {
            if (!applications.Contains(app, StringComparer.Ordinal))
            {
                return Results.Json(new { error = "unknown-application", message = $"This cluster does not run '{app}'." }, statusCode: StatusCodes.Status404NotFound);
            }

            if (consistency is not (null or "" or "local" or "linearizable"))
            {
                return Results.Json(new { error = "bad-request", message = $"consistency must be 'local' or 'linearizable', not '{consistency}'." }, statusCode: StatusCodes.Status400BadRequest);
            }

            bool linearizable = consistency == "linearizable";
            var learner = grains.GetGrain<ILearnerGrain>(GrainKeys.For(app, node));
            try
            {
                var status = linearizable ? await learner.ReadLinearizable().WaitAsync(ReadTimeout) : await learner.GetStatus().WaitAsync(ReadTimeout);
                return Results.Ok(new
                {
                    application = app,
                    node,
                    consistency = linearizable ? "linearizable" : "local",
                    state = status.State,
                    lastAppliedSlot = status.NextSlot == 0 ? (ulong?)null : status.NextSlot - 1,
                    nextSlot = status.NextSlot,
                    digest = status.Digest,
                });
            }
            catch (TimeoutException e)
            {
                return Results.Json(new { error = "timeout", message = e.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });

        endpoints.MapGet("/mesh", async () =>
        {
            var nodes = await Task.WhenAll(mesh.Nodes.Select(async n =>
            {
                bool up;
                try
                {
                    await grains.GetGrain<ILearnerGrain>(GrainKeys.For(applications[0], n.Name)).GetStatus().WaitAsync(ProbeTimeout);
                    up = true;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    up = false;
                }

                return new { name = n.Name, nodeId = n.NodeId, up };
            }));
            var leaders = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (var app in applications)
            {
                try
                {
                    leaders[app] = (await grains.GetGrain<IProposerGrain>(GrainKeys.For(app, node)).GetStatus().WaitAsync(ProbeTimeout)).Leader;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    leaders[app] = null;
                }
            }

            return Results.Ok(new { node, nodes, leaders });
        });

        return endpoints;
    }
}
