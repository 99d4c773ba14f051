using System.Text.Json.Nodes;
using Bert.Tests;

namespace Bert.Classification.Tests;

/// <summary>
/// Hugging Face interop against files that PyTorch wrote and numbers that a Python reference computed
/// (TestData/hf-classifier/make_hf_classifier.py): a transformers-style uncased classifier folder loads and predicts
/// what PyTorch computes, and what Bert.NET saves, Python reads back to the same numbers.
/// </summary>
public class HuggingFaceFolderTests
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "TestData", "hf-classifier");

    private static (string[] Texts, int[][] Ids, double[][] Logits) Expected(JsonNode root) => (
        root["texts"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray(),
        root["ids"]!.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<int>()).ToArray()).ToArray(),
        root["logits"]!.AsArray().Select(r => r!.AsArray().Select(v => v!.GetValue<double>()).ToArray()).ToArray());

    private static double[] Softmax(double[] logits)
    {
        double max = logits.Max();
        var e = logits.Select(x => Math.Exp(x - max)).ToArray();
        return e.Select(x => x / e.Sum()).ToArray();
    }

    private static void ShouldPredict(TextClassifier classifier, string[] texts, int[][] ids, double[][] logits, string[] labels)
    {
        var predictions = classifier.PredictBatch(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var expected = Softmax(logits[i]);
            var got = predictions[i].Probabilities.Select(p => (double)p.Value).ToArray();
            for (int k = 0; k < expected.Length; k++)
                got[k].Should().BeApproximately(expected[k], 2e-6, $"text {i} ('{texts[i]}'), label {labels[k]}");
            predictions[i].Label.Should().Be(labels[Array.IndexOf(expected, expected.Max())], $"text {i}");
        }
    }

    [Fact]
    public void SaveHuggingFace_of_a_disposed_model_writes_nothing_over_a_good_save()
    {
        var indexer = ToyData.Indexer();
        var bert = new Bert.Core.Modeling.BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(28).Build();
        using var dir = new TempDirectory();
        Bert.Core.Checkpoints.BertCheckpointLoader.SaveHuggingFace(bert, dir.Path);
        string weights = Path.Combine(dir.Path, "model.safetensors");
        var good = File.ReadAllBytes(weights);
        bert.Dispose();
        var act = () => Bert.Core.Checkpoints.BertCheckpointLoader.SaveHuggingFace(bert, dir.Path);
        act.Should().Throw<InvalidOperationException>().WithMessage("*no tensors to save*disposed*nothing was written*");
        File.ReadAllBytes(weights).Should().Equal(good);
    }

    [Fact]
    public void A_transformers_uncased_classifier_folder_predicts_what_pytorch_computes()
    {
        var (texts, ids, logits) = Expected(JsonNode.Parse(File.ReadAllText(Path.Combine(Data, "expected.json")))!);
        using var classifier = TextClassifier.Load(Path.Combine(Data, "uncased"));
        classifier.Labels.Should().Equal("negative", "neutral", "positive");
        classifier.MaxSequenceLength.Should().Be(24, "tokenizer_config.json's model_max_length");
        classifier.LowerCase.Should().BeTrue("tokenizer_config.json says do_lower_case");
        ShouldPredict(classifier, texts, ids, logits, ["negative", "neutral", "positive"]);
    }

    [Fact]
    public void The_tokenizer_of_the_folder_gives_the_reference_ids()
    {
        var (texts, ids, _) = Expected(JsonNode.Parse(File.ReadAllText(Path.Combine(Data, "expected.json")))!);
        var indexer = Bert.Tokenization.BertIndexer.Load(Path.Combine(Data, "uncased"));
        for (int i = 0; i < texts.Length; i++)
            indexer.Encode(texts[i]).InputIds.Take(indexer.Encode(texts[i]).Length).Should().Equal(ids[i], $"text {i} ('{texts[i]}')");
    }

    [PythonFact("torch")]
    public void What_bert_net_saves_python_reads_back_to_the_same_predictions()
    {
        using var classifier = TextClassifier.Load(Path.Combine(Data, "uncased"));
        using var dir = new TempDirectory();
        classifier.Save(dir.Path);
        // The script is run from the source tree: it imports the float64 BERT of Bert.Core.Tests' model goldens.
        string script = Path.Combine(SharedData.RepoRoot(), "tests", "Bert.Classification.Tests", "TestData", "hf-classifier", "make_hf_classifier.py");
        var (exit, output, error) = PythonReference.Run([script, "--verify", dir.Path], TimeSpan.FromMinutes(2));
        exit.Should().Be(0, error);
        var root = JsonNode.Parse(output.Trim().Split('\n')[^1])!;
        var (texts, ids, logits) = Expected(root);
        var labels = root["labels"]!.AsArray().Select(l => l!.GetValue<string>()).ToArray();
        labels.Should().Equal(classifier.Labels);
        ShouldPredict(classifier, texts, ids, logits, labels);
    }

    [Fact]
    public void An_id2label_that_disagrees_with_the_classifier_is_refused_naming_both()
    {
        using var dir = new TempDirectory();
        foreach (var file in Directory.GetFiles(Path.Combine(Data, "uncased")))
            File.Copy(file, Path.Combine(dir.Path, Path.GetFileName(file)));
        string config = Path.Combine(dir.Path, "config.json");
        var root = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        root["id2label"] = new JsonObject { ["0"] = "negative", ["1"] = "positive" };
        File.WriteAllText(config, root.ToJsonString());
        var load = () => TextClassifier.Load(dir.Path);
        load.Should().Throw<InvalidDataException>().WithMessage("*classifier.weight*[3, 16]*2 labels in id2label*");

        root["id2label"] = new JsonObject { ["0"] = "a", ["1"] = "a ", ["2"] = "b" };
        File.WriteAllText(config, root.ToJsonString());
        load.Should().Throw<InvalidDataException>().WithMessage("*id2label[1]*'a '*");
    }

    [Fact]
    public void A_config_that_does_not_fit_the_weights_is_refused_before_the_model_is_built()
    {
        using var dir = new TempDirectory();
        foreach (var file in Directory.GetFiles(Path.Combine(Data, "uncased")))
            File.Copy(file, Path.Combine(dir.Path, Path.GetFileName(file)));
        string config = Path.Combine(dir.Path, "config.json");
        var root = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        root["hidden_size"] = 8192;
        root["num_attention_heads"] = 8;
        root["intermediate_size"] = 32768;
        root["num_hidden_layers"] = 2;
        File.WriteAllText(config, root.ToJsonString());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var load = () => TextClassifier.Load(dir.Path);
        load.Should().Throw<InvalidDataException>().WithMessage("*pytorch_model.bin*");
        // Building this model would allocate about 6 GB (1.6 billion parameters, under the config cap); the weights' headers refuse it.
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Its_onnx_export_keeps_the_tokenizer_settings_and_predicts_the_same()
    {
        // Upper case and accents: a tokenizer that lost do_lower_case / strip_accents on export would give other ids.
        var (texts, _, _) = Expected(JsonNode.Parse(File.ReadAllText(Path.Combine(Data, "expected.json")))!);
        using var classifier = TextClassifier.Load(Path.Combine(Data, "uncased"));
        using var dir = new TempDirectory();
        Bert.Classification.Onnx.ClassifierOnnxExport.Export(classifier, dir.Path);
        using var served = Bert.Serving.OnnxTextClassifier.Load(dir.Path);
        var expected = classifier.PredictBatch(texts);
        var actual = served.PredictBatch(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            served.Indexer.Encode(texts[i]).InputIds.Should().Equal(classifier.Indexer.Encode(texts[i]).InputIds, texts[i]);
            for (int k = 0; k < 3; k++)
                ((double)actual[i].Probabilities[k].Value).Should().BeApproximately(expected[i].Probabilities[k].Value, 1e-5, texts[i]);
        }
    }
}
