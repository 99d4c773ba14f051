using System.Globalization;
using Bert.Classification.Onnx;
using Bert.Serving;
using Bert.Tokenization;

namespace Bert.Classification.Tests.Reliability;

/// <summary>
/// A load while another save commits into the same folder gives one whole save, the previous or the new one, never
/// the config of one with the weights of the other (the two classifiers here differ in weights and in label order, so
/// a mix predicts neither's probabilities) and never a false "changed after saving".
/// </summary>
public class LoadWhileSavingTests
{
    private static readonly string[] Reversed = [.. ToyData.Labels.Reverse()];

    private static readonly string[] Texts = [.. ToyData.Make(6, 7).Select(e => e.Text)];

    private static TextClassifier First() =>
        new(ToyData.Model(ToyData.Indexer().VocabSize, seed: 1), ToyData.Indexer(), ToyData.Labels, ToyData.SpmModel, 64);

    private static TextClassifier Second() =>
        new(ToyData.Model(ToyData.Indexer().VocabSize, seed: 2), ToyData.Indexer(), Reversed, ToyData.SpmModel, 64);

    private static string Signature(IEnumerable<IReadOnlyList<KeyValuePair<string, float>>> predictions) =>
        string.Join(" | ", predictions.Select(p => string.Join(", ", p.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => kv.Key + "=" + kv.Value.ToString("F4", CultureInfo.InvariantCulture)))));

    private static string Predict(TextClassifier classifier) => Signature(classifier.PredictBatch(Texts).Select(p => p.Probabilities));

    private static string Predict(OnnxTextClassifier classifier) => Signature(classifier.PredictBatch(Texts).Select(p => p.Probabilities));

    [Fact]
    public void A_save_committed_after_the_load_verified_the_folder_does_not_reach_the_load()
    {
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "model");
        using var first = First();
        using var second = Second();
        string expected = Predict(first);
        Predict(second).Should().NotBe(expected);
        first.Save(folder);

        // The other save commits between the check of the manifest and the reading of the files.
        SaveSnapshot.TakenHook = _ =>
        {
            SaveSnapshot.TakenHook = null;
            second.Save(folder);
        };
        try
        {
            using var loaded = TextClassifier.Load(folder);
            loaded.Labels.Should().Equal(ToyData.Labels);
            Predict(loaded).Should().Be(expected, "the load reads the save it verified");
        }
        finally
        {
            SaveSnapshot.TakenHook = null;
        }
        using var next = TextClassifier.Load(folder);
        next.Labels.Should().Equal(Reversed, "the next load reads the new save");
    }

    [Fact]
    public void An_export_committed_after_the_serving_load_verified_the_folder_does_not_reach_the_load()
    {
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "onnx");
        using var first = First();
        using var second = Second();
        ClassifierOnnxExport.Export(first, folder);
        string expected;
        using (var reference = OnnxTextClassifier.Load(folder))
            expected = Predict(reference);

        SaveSnapshot.TakenHook = _ =>
        {
            SaveSnapshot.TakenHook = null;
            ClassifierOnnxExport.Export(second, folder);
        };
        try
        {
            using var loaded = OnnxTextClassifier.Load(folder);
            loaded.Labels.Should().Equal(ToyData.Labels);
            Predict(loaded).Should().Be(expected, "the load reads the export it verified");
        }
        finally
        {
            SaveSnapshot.TakenHook = null;
        }
        using var next = OnnxTextClassifier.Load(folder);
        next.Labels.Should().Equal(Reversed);
    }

    [Fact]
    public async Task Loads_while_another_thread_saves_two_classifiers_alternately_each_give_one_whole_save()
    {
        using var dir = new TempDirectory();
        string model = Path.Combine(dir.Path, "model");
        string onnx = Path.Combine(dir.Path, "onnx");
        using var first = First();
        using var second = Second();
        first.Save(model);
        ClassifierOnnxExport.Export(first, onnx);
        var expected = new HashSet<string> { Predict(first), Predict(second) };
        var expectedOnnx = new HashSet<string>();
        foreach (var c in new[] { first, second })
        {
            string other = Path.Combine(dir.Path, "reference-" + expectedOnnx.Count);
            ClassifierOnnxExport.Export(c, other);
            using var reference = OnnxTextClassifier.Load(other);
            expectedOnnx.Add(Predict(reference));
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        int saves = 0;
        var saver = Task.Run(() =>
        {
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                var c = i % 2 == 0 ? second : first;
                c.Save(model);
                ClassifierOnnxExport.Export(c, onnx);
                saves++;
            }
        });
        int loads = 0;
        var wrong = new List<string>();
        while (!saver.IsCompleted)
        {
            using (var loaded = TextClassifier.Load(model))
            {
                if (!expected.Contains(Predict(loaded))) wrong.Add("TextClassifier: " + Predict(loaded));
            }
            using (var served = OnnxTextClassifier.Load(onnx))
            {
                if (!expectedOnnx.Contains(Predict(served))) wrong.Add("OnnxTextClassifier: " + Predict(served));
            }
            loads++;
        }
        await saver;
        wrong.Should().BeEmpty($"every one of {loads} loads during {saves} saves must be one whole save");
        saves.Should().BeGreaterThan(2);
        loads.Should().BeGreaterThan(2);
    }
}
