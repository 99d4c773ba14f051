using Bert.Core.Embeddings;
using Bert.Core.Tests.Checkpoints;
using Bert.Core.Tests.Modeling;

namespace Bert.Core.Tests.Embeddings;

/// <summary>all-MiniLM-L6-v2 written once as a Hugging Face folder, shared by the tests of <see cref="MiniLmCollection"/>.</summary>
public sealed class MiniLmEmbedderFixture : IDisposable
{
    private readonly TempFolder folder = new();

    /// <summary>Writes the folder.</summary>
    public MiniLmEmbedderFixture() => MiniLmResources.WriteHuggingFaceFolder(folder.Path);

    /// <summary>The Hugging Face folder (config.json, model.safetensors, vocab.txt, tokenizer_config.json).</summary>
    public string ModelDirectory => folder.Path;

    /// <summary>A new embedder of the folder (the caller disposes it).</summary>
    public TextEmbedder Load(TextEmbedderOptions? options = null) => TextEmbedder.Load(ModelDirectory, options);

    /// <inheritdoc />
    public void Dispose() => folder.Dispose();
}

/// <summary>The test classes that share one <see cref="MiniLmEmbedderFixture"/> (the folder is written once).</summary>
[CollectionDefinition(Name)]
public sealed class MiniLmCollection : ICollectionFixture<MiniLmEmbedderFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "MiniLM folder";
}
