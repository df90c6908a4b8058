using PaxosGo.Orleans.Identity;

namespace PaxosGo.Orleans.Tests.Identity;

/// <summary>A fresh temporary directory, deleted with everything in it on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "paxosgo-identity-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}

/// <summary>A mesh of freshly generated keys, which it disposes.</summary>
internal sealed class TestMesh : IDisposable
{
    private readonly Dictionary<string, NodeKey> keys = new(StringComparer.Ordinal);

    public TestMesh(params string[] names)
    {
        var nodes = new List<MeshNode>();
        for (var i = 0; i < names.Length; i++)
        {
            var key = NodeKey.Generate();
            keys.Add(names[i], key);
            nodes.Add(MeshNode.For(names[i], key, Endpoints(i)));
        }

        Mesh = Mesh.Create(nodes);
    }

    public Mesh Mesh { get; }

    public NodeKey Key(string name) => keys[name];

    public NodeIdentity Identity(string name) => NodeIdentity.Create(Mesh, keys[name], name);

    /// <summary>Distinct ports per position, all on 127.0.0.1.</summary>
    public static MeshEndpoints Endpoints(int position, string host = "127.0.0.1") =>
        new(host, 11111 + position, 30000 + position, 8080 + position, 5353 + position);

    public void Dispose()
    {
        foreach (var key in keys.Values)
        {
            key.Dispose();
        }
    }
}
