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
/// <item><c>GET /apps/{app}/status</c>: this node's replica and its proposer: standing, ballot round, the leader it knows.</item>
/// <item><c>GET /mesh</c>: every node of the mesh, up or down, and the leader of each application as this node sees it.</item>
/// <item><c>GET /metrics</c>: this node's PaxosGo counters since it started, by tags (<see cref="MetricTotals"/>): slots applied, storage requests, signatures made and checked, and the rest.</item>
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
        var totals = endpoints.ServiceProvider.GetRequiredService<MetricTotals>(); // counting from now on
        var api = endpoints.MapGroup(string.Empty);
        // Every answer is JSON, and says so: browsers must not sniff it as anything else.
        api.AddEndpointFilter(static async (context, next) =>
        {
            context.HttpContext.Response.Headers.XContentTypeOptions = "nosniff";
            return await next(context);
        });

        api.MapGet("/health", async () =>
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

        api.MapGet("/apps", () => Results.Ok(new { node, applications }));

        api.MapGet("/apps/{app}/state", async (string app, string? consistency) =>
        {
            if (!applications.Contains(app, StringComparer.Ordinal)) return UnknownApplication(app);

            if (consistency is not (null or "" or "local" or "linearizable"))
            {
                return Results.Json(new { error = "bad-request", message = "consistency must be 'local' or 'linearizable'." }, statusCode: StatusCodes.Status400BadRequest);
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

        api.MapGet("/apps/{app}/status", async (string app) =>
        {
            if (!applications.Contains(app, StringComparer.Ordinal)) return UnknownApplication(app);

            string key = GrainKeys.For(app, node);
            try
            {
                var learner = await grains.GetGrain<ILearnerGrain>(key).GetStatus().WaitAsync(ReadTimeout);
                var proposer = await grains.GetGrain<IProposerGrain>(key).GetStatus().WaitAsync(ReadTimeout);
                return Results.Ok(new
                {
                    application = app,
                    node,
                    state = learner.State,
                    nextSlot = learner.NextSlot,
                    digest = learner.Digest,
                    standing = proposer.Standing,
                    ballotRound = proposer.BallotRound,
                    leader = proposer.Leader,
                    chosenBelow = proposer.ChosenBelow,
                    pending = proposer.Pending,
                });
            }
            catch (TimeoutException e)
            {
                return Results.Json(new { error = "timeout", message = e.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });

        api.MapGet("/mesh", async () =>
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

        api.MapGet("/metrics", () => Results.Ok(new { node, counters = totals.Snapshot() }));

        return endpoints;
    }

    /// <summary>404 for an application this cluster does not run; the name is echoed only when it is a valid one, never arbitrary input.</summary>
    private static IResult UnknownApplication(string app)
    {
        string what = GrainKeys.IsValidName(app) ? $"'{app}'" : "an application of that name (it is not a valid application name)";
        return Results.Json(new { error = "unknown-application", message = $"This cluster does not run {what}." }, statusCode: StatusCodes.Status404NotFound);
    }
}
