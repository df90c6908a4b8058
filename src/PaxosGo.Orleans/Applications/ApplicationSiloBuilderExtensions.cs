using Microsoft.Extensions.DependencyInjection;
using PaxosGo.Core;

namespace PaxosGo.Orleans.Applications;

/// <summary>Adds applications (replicated state machines) to a PaxosGo silo.</summary>
public static class ApplicationSiloBuilderExtensions
{
    /// <summary>
    /// Runs application <paramref name="name"/> on this silo with the state machine
    /// <typeparamref name="TMachine"/>, created from dependency injection (its constructor may take
    /// services) each time the node's replica of the application starts. Every node of the cluster must
    /// add the same applications with the same machines. Names match <c>[a-z0-9][a-z0-9-]{0,62}</c>.
    /// </summary>
    public static ISiloBuilder AddApplication<TMachine>(this ISiloBuilder builder, string name)
        where TMachine : class, IStateMachine =>
        builder.AddApplication(name, static services => ActivatorUtilities.CreateInstance<TMachine>(services));

    /// <summary>Runs application <paramref name="name"/> with the state machine <paramref name="create"/> makes (a new one each call).</summary>
    public static ISiloBuilder AddApplication(this ISiloBuilder builder, string name, Func<IServiceProvider, IStateMachine> create)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(create);
        builder.Services.AddKeyedTransient<IStateMachine>(name, (services, _) => create(services));
        // A name added twice is reported by PaxosGoOptions.Validate ("application names must be unique").
        builder.Services.Configure<PaxosGoOptions>(o => o.Applications.Add(name));
        return builder;
    }

    /// <summary>
    /// Checks every command of application <paramref name="application"/> with
    /// <typeparamref name="TValidator"/> (one per silo, from dependency injection) at the entry node,
    /// before it is proposed (<see cref="ICommandValidator"/>).
    /// </summary>
    public static ISiloBuilder AddCommandValidator<TValidator>(this ISiloBuilder builder, string application)
        where TValidator : class, ICommandValidator
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(application);
        builder.Services.AddKeyedSingleton<ICommandValidator>(application, static (services, _) => ActivatorUtilities.CreateInstance<TValidator>(services));
        return builder;
    }
}
