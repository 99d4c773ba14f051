using Bert.Classification.Onnx;
using Bert.Core.Embeddings;
using Bert.Core.Modeling;
using Bert.Core.Onnx;
using Bert.Serving;
using Bert.Tests;
using Xunit.Abstractions;

namespace Bert.Classification.Tests.Reliability;

/// <summary>
/// Disposing a classifier or embedder while other threads predict with it (a host shutting down or swapping models):
/// running calls finish, later ones throw ObjectDisposedException, and the process survives (before the fix, Dispose
/// freed libtorch tensors, packed weights or the ONNX Runtime session under the running calls: SIGSEGV).
/// </summary>
public class DisposeWhilePredictingTests(ITestOutputHelper output)
{
    private static readonly string[] Texts = [.. ToyData.Make(24, 91).Select(e => e.Text)];

    [Fact]
    public void TextClassifier_disposed_while_threads_predict_finishes_or_refuses_every_call()
    {
        var indexer = ToyData.Indexer();
        var result = DisposeUnderLoad.Check(
            () => new TextClassifier(ToyData.Model(indexer.VocabSize, seed: 93), indexer, ToyData.Labels, ToyData.SpmModel, 64),
            c => c.PredictBatch(Texts, batchSize: 8).Count == Texts.Length && c.Predict(Texts[0]).Label is not null);
        output.WriteLine($"TextClassifier: {result.Completed} calls completed, {result.Refused} callers refused after Dispose");
    }

    [Fact]
    public void OnnxTextClassifier_disposed_while_threads_predict_finishes_or_refuses_every_call()
    {
        var indexer = ToyData.Indexer();
        using var dir = new TempDirectory();
        using (var classifier = new TextClassifier(ToyData.Model(indexer.VocabSize, seed: 94), indexer, ToyData.Labels, ToyData.SpmModel, 64))
            ClassifierOnnxExport.Export(classifier, dir.Path);
        var result = DisposeUnderLoad.Check(
            () => OnnxTextClassifier.Load(dir.Path, new OnnxTextClassifierOptions { IntraOpThreads = 1 }),
            c => c.PredictBatch(Texts, batchSize: 8).Count == Texts.Length && c.Predict(Texts[0]).Label is not null);
        output.WriteLine($"OnnxTextClassifier: {result.Completed} calls completed, {result.Refused} callers refused after Dispose");
    }

    [Fact]
    public void OnnxTextEmbedder_disposed_while_threads_embed_finishes_or_refuses_every_call()
    {
        var indexer = ToyData.Indexer();
        using var dir = new TempDirectory();
        using (var model = new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(95).Build())
            OnnxExport.ExportEmbedderFolder(model, indexer, dir.Path);
        var result = DisposeUnderLoad.Check(
            () => OnnxTextEmbedder.Load(dir.Path, intraOpThreads: 1),
            e => e.EmbedBatch(Texts, batchSize: 8).All(v => v.Length == e.Dimensions) && e.Embed(Texts[0]).Length == e.Dimensions);
        output.WriteLine($"OnnxTextEmbedder: {result.Completed} calls completed, {result.Refused} callers refused after Dispose");
    }

    [Fact]
    public void TextEmbedder_disposed_while_threads_embed_finishes_or_refuses_every_call()
    {
        var indexer = ToyData.Indexer();
        var result = DisposeUnderLoad.Check(
            () => new TextEmbedder(new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(96).Build(), indexer),
            e => e.EmbedBatch(Texts).All(v => v.Length == e.Dimensions) && e.Embed(Texts[0]).Length == e.Dimensions);
        output.WriteLine($"TextEmbedder: {result.Completed} calls completed, {result.Refused} callers refused after Dispose");
    }
}
