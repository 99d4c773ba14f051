using Microsoft.Extensions.AI;

namespace Bert.Core.Embeddings;

/// <summary>
/// A <see cref="TextEmbedder"/> as Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>,
/// so it plugs into .NET AI apps (vector stores, semantic search, dependency injection). Embeddings are computed on
/// the calling thread; cancellation is honoured between batches.
/// </summary>
public sealed class TextEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider name in <see cref="Metadata"/>.</summary>
    public const string ProviderName = "Bert.NET";

    private readonly bool ownsEmbedder;

    /// <summary>Wraps <paramref name="embedder"/>.</summary>
    /// <param name="embedder">The embedder.</param>
    /// <param name="ownsEmbedder">Whether <see cref="Dispose"/> disposes the embedder too (default false).</param>
    public TextEmbeddingGenerator(TextEmbedder embedder, bool ownsEmbedder = false)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        Embedder = embedder;
        this.ownsEmbedder = ownsEmbedder;
        Metadata = new EmbeddingGeneratorMetadata(ProviderName, providerUri: null, embedder.ModelId, embedder.Dimensions);
    }

    /// <summary>The wrapped embedder.</summary>
    public TextEmbedder Embedder { get; }

    /// <summary>The provider (<see cref="ProviderName"/>), the model's name and the embedding length.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException"><see cref="EmbeddingGenerationOptions.Dimensions"/> asks for another length than the model's.</exception>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is { } dimensions && dimensions != Embedder.Dimensions)
            throw new NotSupportedException($"{Embedder.ModelId} gives {Embedder.Dimensions}-dimensional embeddings, not {dimensions}.");
        var texts = values as IReadOnlyList<string> ?? values.ToArray();
        var vectors = Embedder.EmbedBatch(texts, cancellationToken);
        var created = DateTimeOffset.UtcNow;
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(vectors.Count);
        foreach (var vector in vectors)
            embeddings.Add(new Embedding<float>(vector) { ModelId = Embedder.ModelId, CreatedAt = created });
        return Task.FromResult(embeddings);
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        return serviceType.IsInstanceOfType(this) ? this
            : serviceType.IsInstanceOfType(Embedder) ? Embedder
            : null;
    }

    /// <summary>Disposes the embedder when this generator owns it.</summary>
    public void Dispose()
    {
        if (ownsEmbedder) Embedder.Dispose();
    }
}
