using Bert.Classification.Onnx;
using Bert.Core.Modeling;
using Bert.Serving;
using Bert.Tests;
using Microsoft.ML.OnnxRuntime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Bert.Classification.Tests.Onnx;

/// <summary>
/// Exported classifiers run by ONNX Runtime against the TorchSharp model and TextClassifier: every pooling and problem
/// type, padded batches of texts and pairs, and the serving folder loaded by Bert.Serving.OnnxTextClassifier.
/// </summary>
public class ClassifierOnnxExportTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    private static readonly string[] Texts =
        ["今日は友達とラーメンを食べました。", "野球", "週末にみんなでサッカーの試合を見に行って、とても楽しかったです。", "また", "少し寿司"];

    private static readonly string[] Pairs = ["スポーツ", "昨日の試合はとても良かった", "ラーメン", "ん", "寿司とサッカー"];

    [Theory]
    [InlineData(PoolingStrategy.Pooler, ProblemType.SingleLabel)]
    [InlineData(PoolingStrategy.Cls, ProblemType.MultiLabel)]
    [InlineData(PoolingStrategy.MaskedMean, ProblemType.SingleLabel)]
    [InlineData(PoolingStrategy.MaskedMax, ProblemType.SingleLabel)]
    [InlineData(PoolingStrategy.ConcatLastLayers, ProblemType.SingleLabel)]
    [InlineData(PoolingStrategy.MaskedMean, ProblemType.Regression)]
    public void Exported_logits_equal_TorchSharp_on_padded_batches_of_texts_and_pairs(PoolingStrategy pooling, ProblemType problem)
    {
        var indexer = ToyData.Indexer();
        using var model = Model(indexer.VocabSize, new ClassificationHeadOptions { Pooling = pooling, ProblemType = problem, ConcatLayers = 2 },
            problem == ProblemType.Regression ? 1 : 2);
        using var stream = new MemoryStream();
        ClassifierOnnxExport.ExportModel(model, stream);

        double worst = 0, scale = 0;
        foreach (var pairs in new[] { null, Pairs })
        {
            var inputs = indexer.EncodeMany(Texts, pairs);
            using var batch = BertBatch.Collate(inputs, indexer.PadId);
            using var noGrad = no_grad();
            using var expected = model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
            var actual = RunLogits(stream.ToArray(), batch);
            worst = Math.Max(worst, MaxAbsDiff(expected.data<float>().ToArray(), actual));
            scale = Math.Max(scale, actual.Max(Math.Abs));
        }
        output.WriteLine($"{pooling}, {problem}: max |diff| logits {worst:E2} (max |logit| {scale:F2}) over texts and pairs ({Texts.Length} rows, padded)");
        worst.Should().BeLessThan(Tolerance);
    }

    [Theory]
    [InlineData(ProblemType.SingleLabel)]
    [InlineData(ProblemType.MultiLabel)]
    [InlineData(ProblemType.Regression)]
    public void OnnxTextClassifier_loaded_from_the_export_predicts_what_TextClassifier_predicts(ProblemType problem)
    {
        var indexer = ToyData.Indexer();
        string[] labels = problem == ProblemType.Regression ? ["score"] : ToyData.Labels;
        var model = Model(indexer.VocabSize, new ClassificationHeadOptions { ProblemType = problem }, labels.Length);
        using var classifier = new TextClassifier(model, indexer, labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        string onnxPath = ClassifierOnnxExport.Export(classifier, Path.Combine(dir.Path, "serving"));
        onnxPath.Should().Be(Path.Combine(dir.Path, "serving", "model.onnx"));

        using var served = OnnxTextClassifier.Load(Path.Combine(dir.Path, "serving"));
        served.Labels.Should().Equal(labels);
        served.ProblemType.ToString().Should().Be(problem.ToString());
        var texts = ToyData.Make(40, 24).Select(e => e.Text).Concat(Texts).ToList();
        var expected = classifier.PredictBatch(texts, batchSize: 7);
        var actual = served.PredictBatch(texts, batchSize: 5);
        double worst = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            if (problem == ProblemType.Regression)
            {
                actual[i].Value.Should().NotBeNull();
                worst = Math.Max(worst, Math.Abs(expected[i].Value!.Value - actual[i].Value!.Value));
                continue;
            }
            var e = expected[i].Probabilities.Select(p => p.Value).ToArray();
            actual[i].Probabilities.Select(p => p.Key).Should().Equal(labels);
            worst = Math.Max(worst, MaxAbsDiff(e, [.. actual[i].Probabilities.Select(p => p.Value)]));
            if (problem == ProblemType.MultiLabel)
            {
                actual[i].Labels.Should().Equal(labels.Where((_, k) => actual[i].Probabilities[k].Value >= 0.5f));
                actual[i].Labels.Should().Equal(expected[i].Labels, "the same labels pass the threshold");
            }
            else
            {
                actual[i].Label.Should().Be(expected[i].Label);
            }
        }
        output.WriteLine($"{problem}: max |diff| OnnxTextClassifier vs TextClassifier over {texts.Count} texts: {worst:E2}");
        worst.Should().BeLessThan(Tolerance);
    }

    [Fact]
    public void Multi_label_serving_predicts_the_label_sets_of_the_heads_own_threshold()
    {
        var indexer = ToyData.Indexer();
        string[] labels = ToyData.MultiLabels;
        var model = Model(indexer.VocabSize, new ClassificationHeadOptions { ProblemType = ProblemType.MultiLabel, Threshold = 0.3 }, labels.Length);
        using var classifier = new TextClassifier(model, indexer, labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        ClassifierOnnxExport.Export(classifier, dir.Path);
        using var served = OnnxTextClassifier.Load(dir.Path);
        served.MultiLabelThreshold.Should().Be(0.3f);

        var texts = ToyData.Make(40, 24).Select(e => e.Text).Concat(Texts).ToList();
        var expected = classifier.PredictBatch(texts);
        var actual = served.PredictBatch(texts);
        expected.SelectMany(p => p.Probabilities).Count(p => p.Value is >= 0.3f and < 0.5f)
            .Should().BePositive("some labels are decided by the threshold (between 0.3 and the default 0.5)");
        for (int i = 0; i < texts.Count; i++)
            actual[i].Labels.Should().Equal(expected[i].Labels, $"text {i} ({texts[i]})");
    }

    [Fact]
    public void Pairs_and_eight_concurrent_callers_get_the_TorchSharp_results()
    {
        var indexer = ToyData.Indexer();
        var model = Model(indexer.VocabSize, new ClassificationHeadOptions());
        using var classifier = new TextClassifier(model, indexer, ToyData.Labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        string onnxPath = ClassifierOnnxExport.Export(classifier, Path.Combine(dir.Path, "out", "classifier.onnx"));
        File.Exists(Path.Combine(dir.Path, "out", "spiece.model")).Should().BeTrue();
        File.ReadAllText(Path.Combine(dir.Path, "out", "serving.json")).Should().Contain("\"model\": \"classifier.onnx\"").And.Contain("スポーツ");
        using var served = OnnxTextClassifier.Load(Path.GetDirectoryName(onnxPath)!);

        using var batch = BertBatch.Collate(indexer.EncodeMany(Texts, Pairs), indexer.PadId);
        float[] expected;
        using (no_grad())
        using (var logits = model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask))
        using (var probabilities = logits.softmax(-1))
            expected = probabilities.data<float>().ToArray();

        var results = new OnnxPrediction[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>
            results[k] = [.. Texts.Select((t, i) => served.Predict(t, Pairs[i]))]);
        foreach (var run in results)
        {
            var actual = run.SelectMany(p => p.Probabilities.Select(kv => kv.Value)).ToArray();
            MaxAbsDiff(expected, actual).Should().BeLessThan(Tolerance);
        }
    }

    [Fact]
    public void After_Dispose_predicting_throws_ObjectDisposedException()
    {
        var indexer = ToyData.Indexer();
        using var classifier = new TextClassifier(Model(indexer.VocabSize, new ClassificationHeadOptions()), indexer, ToyData.Labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        ClassifierOnnxExport.Export(classifier, dir.Path);
        var served = OnnxTextClassifier.Load(dir.Path);
        served.Dispose();
        served.Invoking(s => s.Predict("野球")).Should().Throw<ObjectDisposedException>();
        served.Invoking(s => s.Predict("野球", "寿司")).Should().Throw<ObjectDisposedException>();
        served.Invoking(s => s.PredictBatch(["野球"])).Should().Throw<ObjectDisposedException>();
        served.Invoking(s => s.Dispose()).Should().NotThrow();
        served.Labels.Should().Equal(ToyData.Labels);
    }

    [Fact]
    public void Loading_a_folder_without_serving_json_names_the_folder_and_the_file()
    {
        using var dir = new TempDirectory();
        var act = () => OnnxTextClassifier.Load(dir.Path);
        act.Should().Throw<InvalidDataException>().WithMessage($"*{dir.Path}*serving.json*");
    }

    [Fact]
    public void A_manifest_whose_labels_do_not_match_the_model_is_refused()
    {
        var indexer = ToyData.Indexer();
        var model = Model(indexer.VocabSize, new ClassificationHeadOptions());
        using var classifier = new TextClassifier(model, indexer, ToyData.Labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        ClassifierOnnxExport.Export(classifier, dir.Path);
        // A folder assembled by hand has no save manifest; its files are still checked against each other.
        File.Delete(Path.Combine(dir.Path, "bert_net_manifest.json"));
        string manifest = Path.Combine(dir.Path, "serving.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"スポーツ\"", "\"スポーツ\", \"other\"", StringComparison.Ordinal));
        var act = () => OnnxTextClassifier.Load(dir.Path);
        act.Should().Throw<InvalidDataException>().WithMessage("*outputs 2 logits*3 labels*");
    }

    [Theory]
    [InlineData("problem_type", "\"1\"", "*'problem_type' is \"1\"; expected one of SingleLabel, MultiLabel, Regression*")]
    [InlineData("problem_type", "\"SingleLabel, MultiLabel\"", "*'problem_type' is \"SingleLabel, MultiLabel\"; expected one of*")]
    [InlineData("problem_type", "\"singlelabel\"", "*'problem_type' is \"singlelabel\"; expected one of*")]
    [InlineData("multi_label_threshold", "5", "*'multi_label_threshold' is 5; expected a number in (0, 1)*")]
    [InlineData("max_seq_len", "65", "*'max_seq_len' is 65; expected 3..64 (the model model.onnx has 64 positions)*")]
    [InlineData("max_seq_len", "\"32\"", "*'max_seq_len' is \"32\"; expected a whole number of at least 3*")]
    [InlineData("labels", "[\"グルメ\", \"\"]", "*labels[1] must be a label name (a non-empty string); it is \"\".")]
    [InlineData("labels", "[\"グルメ\", 3]", "*labels[1] must be a label name (a non-empty string); it is 3.")]
    public void A_hand_edited_serving_json_is_refused_at_load_naming_the_field(string key, string json, string message)
    {
        var indexer = ToyData.Indexer();
        using var classifier = new TextClassifier(Model(indexer.VocabSize, new ClassificationHeadOptions()), indexer, ToyData.Labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        ClassifierOnnxExport.Export(classifier, dir.Path);
        File.Delete(Path.Combine(dir.Path, "bert_net_manifest.json"));   // assembled by hand
        string manifest = Path.Combine(dir.Path, "serving.json");
        var root = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!.AsObject();
        root[key] = System.Text.Json.Nodes.JsonNode.Parse(json);
        File.WriteAllText(manifest, root.ToJsonString());
        var act = () => OnnxTextClassifier.Load(dir.Path);
        act.Should().Throw<InvalidDataException>().WithMessage(manifest + ": " + message.TrimStart('*'));
    }

    [Theory]
    [InlineData("model.onnx")]
    [InlineData("serving.json")]
    [InlineData("tokenizer_config.json")]
    public void A_file_changed_after_the_export_is_refused_by_name_even_when_its_size_is_kept(string file)
    {
        var indexer = ToyData.Indexer();
        var model = Model(indexer.VocabSize, new ClassificationHeadOptions());
        using var classifier = new TextClassifier(model, indexer, ToyData.Labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        ClassifierOnnxExport.Export(classifier, dir.Path);
        using (OnnxTextClassifier.Load(dir.Path)) { }
        string path = Path.Combine(dir.Path, file);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;   // one bit, deep inside (for model.onnx: inside a weight)
        File.WriteAllBytes(path, bytes);
        var act = () => OnnxTextClassifier.Load(dir.Path);
        act.Should().Throw<InvalidDataException>().WithMessage($"*{file}*SHA-256*changed after saving*");
    }

    [Fact]
    public void An_export_into_the_classifiers_folder_and_a_save_into_the_export_folder_are_refused_and_both_still_load()
    {
        var indexer = ToyData.Indexer();
        var model = Model(indexer.VocabSize, new ClassificationHeadOptions());
        using var classifier = new TextClassifier(model, indexer, ToyData.Labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        string saved = Path.Combine(dir.Path, "model"), exported = Path.Combine(dir.Path, "onnx");
        classifier.Save(saved);
        ClassifierOnnxExport.Export(classifier, exported);

        var intoModel = () => ClassifierOnnxExport.Export(classifier, Path.Combine(saved, "knbc.onnx"));
        intoModel.Should().Throw<IOException>().WithMessage($"'{saved}' holds a saved classifier (bert_net_manifest.json lists config.json, model.safetensors*); an ONNX serving export cannot be saved into it*");
        var intoExport = () => classifier.Save(exported);
        intoExport.Should().Throw<IOException>().WithMessage($"'{exported}' holds an ONNX serving export (bert_net_manifest.json lists model.onnx*); a saved classifier cannot be saved into it*");

        using (TextClassifier.Load(saved)) { }
        using (OnnxTextClassifier.Load(exported)) { }
        Directory.GetFiles(saved).Select(Path.GetFileName).Should().NotContain(n => n!.EndsWith(".onnx"));
    }

    /// <summary>
    /// A random classifier whose head is scaled up tenfold so that the logits spread as a trained head's do (|logit| up
    /// to about 3) instead of staying near zero, where any export would look right.
    /// </summary>
    private static BertForSequenceClassification Model(int vocabSize, ClassificationHeadOptions head, int labels = 2)
    {
        TorchSharp.torch.manual_seed(31);
        var bert = new BertModelBuilder(ToyData.TinyConfig(vocabSize)).WithSeed(31).Build();
        var model = new BertForSequenceClassification(bert, labels, head);
        using (no_grad())
        {
            var weight = model.named_parameters().Single(p => p.name == "classifier.weight").parameter;
            weight.mul_(10);
        }
        model.eval();
        return model;
    }

    private static float[] RunLogits(byte[] onnx, BertBatch batch)
    {
        using var session = new InferenceSession(onnx);
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        using var ids = OrtValue.CreateTensorValueFromMemory(batch.InputIds.data<long>().ToArray(), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask.data<long>().ToArray(), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(batch.TokenTypeIds.data<long>().ToArray(), shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["input_ids", "attention_mask", "token_type_ids"], [ids, mask, types], [ClassifierOnnxExport.Logits]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static double MaxAbsDiff(float[] expected, float[] actual)
    {
        actual.Length.Should().Be(expected.Length);
        double max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return max;
    }
}
