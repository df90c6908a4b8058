namespace PaxosGo.Orleans.Applications;

/// <summary>Which version of an application's replica a read saw.</summary>
/// <param name="State">The replica's <c>state</c>: one per command it executed.</param>
/// <param name="NextSlot">Every slot below this one is applied.</param>
public readonly record struct ReplicaVersion(ulong State, ulong NextSlot);
