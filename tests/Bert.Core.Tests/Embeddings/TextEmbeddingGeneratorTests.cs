using Bert.Core.Embeddings;
using Microsoft.Extensions.AI;

namespace Bert.Core.Tests.Embeddings;

/// <summary>The Microsoft.Extensions.AI adapter of TextEmbedder, on all-MiniLM-L6-v2.</summary>
[Collection(MiniLmCollection.Name)]
public class TextEmbeddingGeneratorTests(MiniLmEmbedderFixture fixture)
{
    [Fact]
    public async Task GenerateAsync_returns_the_embedders_vectors_in_order_with_the_models_name()
    {
        using var embedder = fixture.Load(new TextEmbedderOptions { Normalize = true, ModelId = "all-MiniLM-L6-v2" });
        IEmbeddingGenerator<string, Embedding<float>> generator = embedder.AsEmbeddingGenerator();
        string[] texts = ["first text", "a second, longer text than the first", "3"];

        var generated = await generator.GenerateAsync(texts);

        var expected = embedder.EmbedBatch(texts);
        generated.Should().HaveCount(3);
        for (int i = 0; i < texts.Length; i++)
        {
            generated[i].Vector.ToArray().Should().Equal(expected[i]);
            generated[i].ModelId.Should().Be("all-MiniLM-L6-v2");
            generated[i].CreatedAt.Should().NotBeNull();
        }
        var single = await generator.GenerateVectorAsync("first text");
        single.ToArray().Should().Equal(embedder.Embed("first text"));

        var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
        metadata.ProviderName.Should().Be("Bert.NET");
        metadata.DefaultModelId.Should().Be("all-MiniLM-L6-v2");
        metadata.DefaultModelDimensions.Should().Be(384);
        generator.GetService<TextEmbedder>().Should().BeSameAs(embedder);
    }

    [Fact]
    public async Task GenerateAsync_honours_cancellation_and_refuses_other_dimensions()
    {
        using var embedder = fixture.Load(new TextEmbedderOptions { BatchSize = 1 });
        using var generator = new TextEmbeddingGenerator(embedder);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var act = () => generator.GenerateAsync(["a", "b"], cancellationToken: cancelled.Token);
        await act.Should().ThrowAsync<OperationCanceledException>();

        var dimensions = () => generator.GenerateAsync(["a"], new EmbeddingGenerationOptions { Dimensions = 128 });
        await dimensions.Should().ThrowAsync<NotSupportedException>().WithMessage("*384*128*");
    }

    [Fact]
    public void Disposing_the_generator_disposes_the_embedder_only_when_it_owns_it()
    {
        var embedder = fixture.Load();
        new TextEmbeddingGenerator(embedder).Dispose();
        embedder.Embed("still usable").Should().HaveCount(384);
        new TextEmbeddingGenerator(embedder, ownsEmbedder: true).Dispose();
        var act = () => embedder.Embed("disposed");
        act.Should().Throw<InvalidOperationException>();
    }
}
