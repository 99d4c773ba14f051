using Bert.Core.Embeddings;
using Bert.Core.Tests.Checkpoints;
using Bert.Core.Tests.Modeling;

namespace Bert.Core.Tests.Embeddings;

/// <summary>all-MiniLM-L6-v2 written once as a Hugging Face folder, for the embedder tests of one class.</summary>
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
