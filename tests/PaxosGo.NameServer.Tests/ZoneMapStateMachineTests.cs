using System.Security.Cryptography;
using System.Text;
using PaxosGo.Core;
using Xunit;

namespace PaxosGo.NameServer.Tests;

/// <summary>The name server's replicated zone map: names, commands, outcomes, snapshots.</summary>
public sealed class ZoneMapStateMachineTests
{
    private static readonly byte[] HashA = SHA256.HashData("zone a"u8);
    private static readonly byte[] HashB = SHA256.HashData("zone b"u8);
    private ulong _request;

    private byte[] Apply(ZoneMapStateMachine map, byte[] payload) => map.Apply(new Command("client", ++_request, payload));

    [Theory]
    [InlineData("example.com", "example.com.")]
    [InlineData("Example.COM.", "example.com.")]
    [InlineData("a-1.b2.xn--bcher-kva.example", "a-1.b2.xn--bcher-kva.example.")]
    public void ZoneNames_AreCaseInsensitive_AndKeptFullyQualifiedInLowerCase(string name, string canonical) =>
        Assert.Equal(canonical, ZoneName.Normalize(name, out _));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("example..com")]
    [InlineData(".example.com")]
    [InlineData("-example.com")]
    [InlineData("example-.com")]
    [InlineData("exa mple.com")]
    [InlineData("exämple.com")]
    [InlineData("example.com/x")]
    public void InvalidZoneNames_AreRefusedWithAReason(string name)
    {
        Assert.Null(ZoneName.Normalize(name, out string error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void NamesOverTheLengthLimits_AreRefused()
    {
        Assert.Null(ZoneName.Normalize(new string('a', 64) + ".com", out _)); // a label of 64
        Assert.NotNull(ZoneName.Normalize(new string('a', 63) + ".com", out _));
        string longest = string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61); // 253
        Assert.NotNull(ZoneName.Normalize(longest, out _));
        Assert.Null(ZoneName.Normalize(longest + "b", out _));
    }

    [Fact]
    public void PutReplaceAndDelete_ChangeTheMap_AndSayWhatTheyDid()
    {
        var map = new ZoneMapStateMachine();
        Assert.Equal([(byte)ZoneOutcome.Added], Apply(map, ZoneCommand.Put("Example.com", HashA).Encode()));
        Assert.Equal(HashA, map.HashOf("EXAMPLE.COM."));
        Assert.Equal([(byte)ZoneOutcome.Replaced], Apply(map, ZoneCommand.Put("example.com.", HashB).Encode()));
        Assert.Equal(HashB, map.HashOf("example.com"));
        Assert.Equal([(byte)ZoneOutcome.Deleted], Apply(map, ZoneCommand.Delete("example.com").Encode()));
        Assert.Null(map.HashOf("example.com"));
        Assert.Equal([(byte)ZoneOutcome.NotFound], Apply(map, ZoneCommand.Delete("example.com").Encode()));
        Assert.Equal(0, map.Count);
    }

    [Fact]
    public void MalformedCommands_ChangeNothing_AndSaySo()
    {
        var map = new ZoneMapStateMachine();
        Apply(map, ZoneCommand.Put("example.com", HashA).Encode());
        byte[] before = map.Snapshot();
        byte[] good = ZoneCommand.Put("other.org", HashB).Encode();
        byte[] upper = (byte[])good.Clone();
        upper[2] = (byte)'O'; // not canonical
        var bad = new[]
        {
            Array.Empty<byte>(),
            new byte[] { 9, 0 }, // unknown operation
            good[..^1], // cut short
            [.. good, 0], // trailing byte
            upper,
            [2, 4, (byte)'x', (byte)'.', (byte)'.', 0], // a delete of an invalid name
            [1, 3, (byte)'a', 0xC3, (byte)'.', .. HashA], // not ASCII
        };

        foreach (var payload in bad)
        {
            Assert.Equal([(byte)ZoneOutcome.Malformed], Apply(map, payload));
            Assert.Equal(before, map.Snapshot());
        }
    }

    [Fact]
    public void TheCommandBuilders_RefuseBadNamesAndHashes_BeforeAnythingIsProposed()
    {
        Assert.Throws<ArgumentException>(() => ZoneCommand.Put("bad..name", HashA));
        Assert.Throws<ArgumentException>(() => ZoneCommand.Put("example.com", new byte[31]));
        Assert.Throws<ArgumentException>(() => ZoneCommand.Delete(""));
    }

    [Fact]
    public void Snapshots_AreTheSameBytesForTheSameMap_WhateverTheOrderOfPuts_AndRestoreExactly()
    {
        var one = new ZoneMapStateMachine();
        var two = new ZoneMapStateMachine();
        foreach (var name in new[] { "b.example", "a.example", "c.example" }) Apply(one, ZoneCommand.Put(name, HashA).Encode());
        foreach (var name in new[] { "c.example", "a.example", "b.example" }) Apply(two, ZoneCommand.Put(name, HashA).Encode());
        Assert.Equal(one.Snapshot(), two.Snapshot());

        var restored = new ZoneMapStateMachine();
        restored.Restore(one.Snapshot());
        Assert.Equal(one.Snapshot(), restored.Snapshot());
        Assert.Equal(["a.example.", "b.example.", "c.example."], restored.Zones.Select(z => z.Key));
        Assert.Equal(HashA, restored.HashOf("B.example"));
    }

    [Fact]
    public void DamagedSnapshots_AreRefused_AndLeaveTheMapAsItWas()
    {
        var source = new ZoneMapStateMachine();
        Apply(source, ZoneCommand.Put("a.example", HashA).Encode());
        Apply(source, ZoneCommand.Put("b.example", HashB).Encode());
        byte[] good = source.Snapshot();
        byte[] unordered = (byte[])good.Clone();
        int second = 8 + 1 + "a.example.".Length + 32;
        unordered[9] = (byte)'c'; // the first zone now sorts after the second
        var damaged = new[] { good[..^1], [.. good, 0], Encoding.ASCII.GetBytes("PGZ2").Concat(good[4..]).ToArray(), unordered, good[..second] };

        var map = new ZoneMapStateMachine();
        Apply(map, ZoneCommand.Put("kept.example", HashA).Encode());
        byte[] before = map.Snapshot();
        foreach (var snapshot in damaged)
        {
            Assert.Throws<InvalidDataException>(() => map.Restore(snapshot));
            Assert.Equal(before, map.Snapshot());
        }
    }
}
