using Bert.Core.Embeddings;
using Bert.Core.Modeling;
using Bert.Core.Onnx;
using Bert.Serving;
using Bert.Tests;
using Bert.Tokenization;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Bert.Classification.Tests.Onnx;

/// <summary>An embedder folder exported from a BertModel and served by Bert.Serving.OnnxTextEmbedder, against TorchSharp.</summary>
public class OnnxTextEmbedderTests(ITestOutputHelper output)
{
    [Fact]
    public void OnnxTextEmbedder_vectors_equal_normalised_mean_pooling_of_the_TorchSharp_model()
    {
        var indexer = ToyData.Indexer();
        using var model = new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(51).Build();
        using var dir = new TempDirectory();
        string path = OnnxExport.ExportEmbedderFolder(model, indexer, Path.Combine(dir.Path, "embedder.onnx"));
        File.Exists(Path.Combine(dir.Path, "serving.json")).Should().BeTrue();

        using var embedder = OnnxTextEmbedder.Load(Path.GetDirectoryName(path)!);
        embedder.Dimensions.Should().Be(model.Config.HiddenSize);
        embedder.Normalized.Should().BeTrue();
        var texts = ToyData.Make(20, 9).Select(e => e.Text).ToList();
        var actual = embedder.EmbedBatch(texts, batchSize: 6);

        using var batch = BertBatch.Collate(indexer.EncodeMany(texts), indexer.PadId);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var result = model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
        var mask = batch.AttentionMask.unsqueeze(-1).to(ScalarType.Float32);                       // (B, T, 1)
        var mean = (result.SequenceOutput * mask).sum(1) / mask.sum(1);                             // (B, H)
        var expected = nn.functional.normalize(mean, p: 2, dim: 1).data<float>().ToArray();
        int h = model.Config.HiddenSize;
        double worst = 0;
        for (int i = 0; i < texts.Count; i++)
            for (int k = 0; k < h; k++) worst = Math.Max(worst, Math.Abs(expected[i * h + k] - actual[i][k]));
        output.WriteLine($"OnnxTextEmbedder vs TorchSharp mean pooling + L2 over {texts.Count} texts: max |diff| {worst:E2}");
        worst.Should().BeLessThan(1e-5);
    }

    [Fact]
    public void The_export_cuts_long_texts_where_the_indexer_and_TextEmbedder_cut_them()
    {
        var indexer = SentencePieceIndexer.Load(ToyData.SpmModel, new SentencePieceIndexerOptions { MaxSequenceLength = 16 });
        using var model = new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(53).Build();   // 64 positions
        using var dir = new TempDirectory();
        OnnxExport.ExportEmbedderFolder(model, indexer, dir.Path);
        using var served = OnnxTextEmbedder.Load(dir.Path);
        served.MaxSequenceLength.Should().Be(16);

        using var embedder = new TextEmbedder(model, indexer, new TextEmbedderOptions { Pooling = PoolingStrategy.MaskedMean, Normalize = true });
        string[] texts =
        [
            string.Concat(Enumerable.Repeat("野球の試合で選手が優勝した。", 6)),
            string.Concat(Enumerable.Repeat("今日は友達とラーメンを食べました。", 5)),
            "寿司",
        ];
        ToyData.Indexer().Encode(texts[0]).Length.Should().BeGreaterThan(16, "the long texts are cut");
        var expected = embedder.EmbedBatch(texts);
        var actual = served.EmbedBatch(texts);
        double worst = 0;
        for (int i = 0; i < texts.Length; i++)
            worst = Math.Max(worst, expected[i].Zip(actual[i]).Max(p => Math.Abs(p.First - p.Second)));
        output.WriteLine($"OnnxTextEmbedder vs TextEmbedder, indexer cutting at 16, {texts.Length} texts: max |diff| {worst:E2}");
        worst.Should().BeLessThan(1e-5);
    }

    [Fact]
    public void After_Dispose_both_embedders_throw_ObjectDisposedException()
    {
        var indexer = ToyData.Indexer();
        var model = new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(54).Build();
        using var dir = new TempDirectory();
        OnnxExport.ExportEmbedderFolder(model, indexer, dir.Path);
        var served = OnnxTextEmbedder.Load(dir.Path);
        served.Dispose();
        served.Invoking(e => e.Embed("野球")).Should().Throw<ObjectDisposedException>();
        served.Invoking(e => e.EmbedBatch(["野球"])).Should().Throw<ObjectDisposedException>();
        served.Invoking(e => e.Dispose()).Should().NotThrow();

        var embedder = new TextEmbedder(model, indexer);
        embedder.Dispose();
        embedder.Invoking(e => e.Embed("野球")).Should().Throw<ObjectDisposedException>();
        embedder.Invoking(e => e.EmbedBatch(["野球"])).Should().Throw<ObjectDisposedException>();
        embedder.Invoking(e => e.AsEmbeddingGenerator().GenerateAsync(["野球"]).GetAwaiter().GetResult()).Should().Throw<ObjectDisposedException>();
        embedder.Invoking(e => e.Model).Should().Throw<ObjectDisposedException>();
        embedder.Invoking(e => e.Dispose()).Should().NotThrow();
    }

    [Fact]
    public void A_classifier_folder_is_not_loaded_as_an_embedder()
    {
        var indexer = ToyData.Indexer();
        using var model = new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(52).Build();
        using var dir = new TempDirectory();
        OnnxExport.ExportEmbedderFolder(model, indexer, dir.Path);
        var act = () => OnnxTextClassifier.Load(dir.Path);
        act.Should().Throw<InvalidDataException>().WithMessage("*'format' is 'bert-net-onnx-embedder'*bert-net-onnx-classifier*");
    }
}
