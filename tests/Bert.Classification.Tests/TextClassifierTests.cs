using Bert.Classification.Onnx;
using Bert.Core.Embeddings;
using Bert.Core.Modeling;
using Bert.Classification.Training;
using Bert.Serving;
using Bert.Tokenization;

namespace Bert.Classification.Tests;

public class TextClassifierTests
{
    private static (TextClassifier Classifier, List<string> Texts) Trained()
    {
        var indexer = ToyData.Indexer();
        var model = ToyData.Model(indexer.VocabSize, seed: 21);
        var train = ToyData.Make(96, 22);
        new ClassificationTrainer(model, indexer, ToyData.Labels, new ClassificationTrainerOptions { Epochs = 1, LearningRate = 1e-3, Seed = 1 })
            .Train(train, ToyData.Make(16, 23));
        var texts = ToyData.Make(40, 24).Select(e => e.Text).ToList();
        return (new TextClassifier(model, indexer, ToyData.Labels, ToyData.SpmModel, 64), texts);
    }

    [Fact]
    public void A_saved_classifier_loads_with_identical_predictions()
    {
        var (classifier, texts) = Trained();
        using var _ = classifier;
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "model");
        classifier.Save(folder, new Dictionary<string, string> { ["report.txt"] = "r" });

        File.Exists(Path.Combine(folder, "model.safetensors")).Should().BeTrue();
        File.Exists(Path.Combine(folder, "spiece.model")).Should().BeTrue();
        File.Exists(Path.Combine(folder, "tokenizer_config.json")).Should().BeTrue();
        File.Exists(Path.Combine(folder, "bert_net_manifest.json")).Should().BeTrue();
        File.ReadAllText(Path.Combine(folder, "config.json")).Should().Contain("\"id2label\"").And.Contain("スポーツ");

        using var loaded = TextClassifier.Load(folder);
        loaded.Labels.Should().Equal(ToyData.Labels);
        var a = classifier.PredictBatch(texts);
        var b = loaded.PredictBatch(texts);
        for (int i = 0; i < texts.Count; i++)
        {
            b[i].Label.Should().Be(a[i].Label);
            b[i].Probabilities.Select(p => p.Value).Should().Equal(a[i].Probabilities.Select(p => p.Value));
        }
    }

    [Fact]
    public void A_saved_classifier_folder_serves_as_an_embedder_of_its_fine_tuned_encoder()
    {
        var (classifier, texts) = Trained();
        using var _ = classifier;
        using var dir = new TempDirectory();
        classifier.Save(dir.Path);

        var options = new TextEmbedderOptions { Pooling = PoolingStrategy.MaskedMean, MaxSequenceLength = 64 };
        using var embedder = TextEmbedder.Load(dir.Path, options);
        using var inMemory = new TextEmbedder(classifier.Model.Bert, classifier.Indexer, options);
        embedder.EmbedBatch(texts).Should().BeEquivalentTo(inMemory.EmbedBatch(texts), o => o.WithStrictOrdering());
        // The task head is left aside by name, not by turning strictness off.
        var strict = () => TextEmbedder.Load(dir.Path, new TextEmbedderOptions { Pooling = PoolingStrategy.Pooler, MaxSequenceLength = 64 });
        strict.Should().NotThrow();
    }

    [Fact]
    public void A_pair_model_refuses_single_texts_after_a_save_and_in_onnx_and_a_single_text_model_refuses_pairs()
    {
        var indexer = ToyData.Indexer();
        using var dir = new TempDirectory();
        using (var pairModel = new TextClassifier(ToyData.Model(indexer.VocabSize, seed: 31), indexer, ToyData.Labels, ToyData.SpmModel, 64) { Pairs = true })
        {
            pairModel.Save(Path.Combine(dir.Path, "pairs"));
            ClassifierOnnxExport.Export(pairModel, Path.Combine(dir.Path, "pairs-onnx"));
        }
        using var loaded = TextClassifier.Load(Path.Combine(dir.Path, "pairs"));
        using var served = OnnxTextClassifier.Load(Path.Combine(dir.Path, "pairs-onnx"));
        loaded.Pairs.Should().BeTrue();
        served.Pairs.Should().BeTrue();
        loaded.Invoking(c => c.Predict("京都に行った")).Should().Throw<ArgumentException>().WithMessage("The model was trained on sentence pairs*");
        served.Invoking(c => c.Predict("京都に行った")).Should().Throw<ArgumentException>().WithMessage("The model was trained on sentence pairs*");
        loaded.Predict("京都に行った", "寺を見た").Label.Should().NotBeNull();
        served.Predict("京都に行った", "寺を見た").Label.Should().NotBeNull();

        using var single = new TextClassifier(ToyData.Model(indexer.VocabSize, seed: 32), indexer, ToyData.Labels, ToyData.SpmModel, 64) { Pairs = false };
        single.Invoking(c => c.Predict("a", "b")).Should().Throw<ArgumentException>().WithMessage("*trained on single texts*");
        using var unknown = new TextClassifier(ToyData.Model(indexer.VocabSize, seed: 33), indexer, ToyData.Labels, ToyData.SpmModel, 64);
        unknown.Predict("a", "b").Label.Should().NotBeNull("an unknown input kind is not checked");
    }

    [Fact]
    public void Saving_into_a_folder_with_other_files_leaves_them_byte_identical()
    {
        var (classifier, texts) = Trained();
        using var __ = classifier;
        using var dir = new TempDirectory();
        string folder = dir.Path; // e.g. Save(".") in an application folder
        var userFiles = new Dictionary<string, byte[]>
        {
            ["app.dll"] = [1, 2, 3, 4],
            ["notes.txt"] = "my notes"u8.ToArray(),
            [Path.Combine("data", "train.csv")] = "text,label\n"u8.ToArray(),
            [Path.Combine("models", "config.json")] = "{}"u8.ToArray(),
        };
        foreach (var (name, bytes) in userFiles)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, name))!);
            File.WriteAllBytes(Path.Combine(folder, name), bytes);
        }
        classifier.Save(folder, new Dictionary<string, string> { ["report.txt"] = "first" });
        classifier.Save(folder);

        foreach (var (name, bytes) in userFiles)
            File.ReadAllBytes(Path.Combine(folder, name)).Should().Equal(bytes, name);
        File.Exists(Path.Combine(folder, "report.txt")).Should().BeFalse("the first save's own extra file goes with the next save");
        Directory.GetFiles(folder, ".bert_net-*").Should().BeEmpty();
        using var loaded = TextClassifier.Load(folder);
        loaded.PredictBatch(texts).Select(p => p.Label).Should().Equal(classifier.PredictBatch(texts).Select(p => p.Label));
    }

    [Fact]
    public void The_cut_is_the_smaller_of_the_indexers_and_the_classifiers_length_in_memory_after_Load_and_in_ONNX()
    {
        var indexer = SentencePieceIndexer.Load(ToyData.SpmModel, new SentencePieceIndexerOptions { MaxSequenceLength = 16 });
        var model = ToyData.Model(indexer.VocabSize, seed: 26);
        using var classifier = new TextClassifier(model, indexer, ToyData.Labels, ToyData.SpmModel, maxSequenceLength: 32);
        classifier.MaxSequenceLength.Should().Be(16, "the indexer cuts at 16 before the classifier sees the text");
        string[] texts =
        [
            string.Concat(Enumerable.Repeat("野球の試合で選手が優勝した。", 6)),
            string.Concat(Enumerable.Repeat("今日は友達とラーメンを食べました。", 5)),
            "寿司",
        ];
        ToyData.Indexer().Encode(texts[1]).Length.Should().BeGreaterThan(32, "the long texts are cut differently at 16 and at 32");
        var expected = classifier.PredictBatch(texts);

        using var dir = new TempDirectory();
        classifier.Save(Path.Combine(dir.Path, "model"));
        using var loaded = TextClassifier.Load(Path.Combine(dir.Path, "model"));
        loaded.MaxSequenceLength.Should().Be(16);
        ClassifierOnnxExport.Export(classifier, Path.Combine(dir.Path, "onnx"));
        using var served = OnnxTextClassifier.Load(Path.Combine(dir.Path, "onnx"));
        served.MaxSequenceLength.Should().Be(16);
        var reloaded = loaded.PredictBatch(texts);
        var onnx = served.PredictBatch(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            var e = expected[i].Probabilities.Select(p => p.Value).ToArray();
            reloaded[i].Probabilities.Select(p => p.Value).Should().Equal(e, $"text {i} after Save/Load");
            onnx[i].Probabilities.Select(p => p.Value).Zip(e).Max(p => Math.Abs(p.First - p.Second)).Should().BeLessThan(1e-5f, $"text {i} in ONNX");
        }
    }

    [Fact]
    public void After_Dispose_every_use_of_the_model_throws_ObjectDisposedException_and_a_good_save_stays_intact()
    {
        var indexer = ToyData.Indexer();
        var classifier = new TextClassifier(ToyData.Model(indexer.VocabSize, seed: 27), indexer, ToyData.Labels, ToyData.SpmModel, 64);
        using var dir = new TempDirectory();
        classifier.Save(dir.Path);
        var weights = File.ReadAllBytes(Path.Combine(dir.Path, "model.safetensors"));
        var expected = classifier.Predict("野球の試合").Probabilities.Select(p => p.Value).ToArray();
        classifier.Dispose();

        classifier.Invoking(c => c.Save(dir.Path)).Should().Throw<ObjectDisposedException>();
        classifier.Invoking(c => c.Predict("野球")).Should().Throw<ObjectDisposedException>();
        classifier.Invoking(c => c.PredictBatch(["野球"])).Should().Throw<ObjectDisposedException>();
        classifier.Invoking(c => c.PredictBatch(["野球"], ["寿司"])).Should().Throw<ObjectDisposedException>();
        classifier.Invoking(c => c.Model).Should().Throw<ObjectDisposedException>();
        classifier.Invoking(c => ClassifierOnnxExport.Export(c, Path.Combine(dir.Path, "onnx"))).Should().Throw<ObjectDisposedException>();
        classifier.Invoking(c => c.Dispose()).Should().NotThrow("disposing twice does nothing");
        classifier.Labels.Should().Equal(ToyData.Labels, "the settings stay readable");

        File.ReadAllBytes(Path.Combine(dir.Path, "model.safetensors")).Should().Equal(weights, "the good save is left as it was");
        using var loaded = TextClassifier.Load(dir.Path);
        loaded.Predict("野球の試合").Probabilities.Select(p => p.Value).Should().Equal(expected);
    }

    [Fact]
    public void A_weights_file_changed_after_saving_is_refused_naming_it()
    {
        var (classifier, _) = Trained();
        using var __ = classifier;
        using var dir = new TempDirectory();
        classifier.Save(dir.Path);
        string weights = Path.Combine(dir.Path, "model.safetensors");
        var bytes = File.ReadAllBytes(weights);
        bytes[^3] ^= 0x40; // one weight changes; the file still parses
        File.WriteAllBytes(weights, bytes);
        var load = () => TextClassifier.Load(dir.Path);
        load.Should().Throw<InvalidDataException>().WithMessage("*model.safetensors*SHA-256*");
    }

    [Theory]
    [InlineData("threshold string", "bert_net.threshold", "\"0.3\"")]
    [InlineData("threshold 7", "bert_net.threshold", "7")]
    [InlineData("concat_layers 1.5", "bert_net.concat_layers", "1.5")]
    [InlineData("max_seq_len string", "bert_net.max_seq_len", "\"32\"")]
    [InlineData("max_seq_len 65", "bert_net.max_seq_len", "65")]
    [InlineData("lower_case string", "bert_net.lower_case", "\"yes\"")]
    [InlineData("num_labels string", "num_labels", "\"3\"")]
    [InlineData("bert_net array", "bert_net", "[1]")]
    [InlineData("pooling number", "bert_net.pooling", "1")]
    public void A_hand_edited_config_field_of_the_wrong_kind_is_refused_naming_file_field_and_value(string edit, string field, string shown)
    {
        var indexer = ToyData.Indexer();
        using var classifier = new TextClassifier(ToyData.Model(indexer.VocabSize, seed: 29), indexer, ToyData.Labels, ToyData.SpmModel, 32);
        using var dir = new TempDirectory();
        classifier.Save(dir.Path);
        File.Delete(Path.Combine(dir.Path, "bert_net_manifest.json"));   // edited by hand, as a Hugging Face folder (no manifest)
        string configPath = Path.Combine(dir.Path, "config.json");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        var settings = config["bert_net"]!.AsObject();
        switch (edit)
        {
            case "threshold string": settings["threshold"] = "0.3"; break;
            case "threshold 7": settings["threshold"] = 7; break;
            case "concat_layers 1.5": settings["concat_layers"] = 1.5; break;
            case "max_seq_len string": settings["max_seq_len"] = "32"; break;
            case "max_seq_len 65": settings["max_seq_len"] = 65; break;
            case "lower_case string": settings["lower_case"] = "yes"; break;
            case "num_labels string": config.Remove("id2label"); config.Remove("label2id"); config["num_labels"] = "3"; break;
            case "bert_net array": config["bert_net"] = new System.Text.Json.Nodes.JsonArray(1); break;
            case "pooling number": settings["pooling"] = 1; break;
        }
        File.WriteAllText(configPath, config.ToJsonString());
        var load = () => TextClassifier.Load(dir.Path);
        load.Should().Throw<InvalidDataException>().WithMessage($"{configPath}: '{field}' is {shown}; expected *");
    }

    [Fact]
    public void Predictions_from_eight_threads_equal_single_threaded_ones()
    {
        var (classifier, texts) = Trained();
        using var _ = classifier;
        var expected = texts.Select(t => classifier.Predict(t)).ToArray();
        var results = new Prediction[8][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>
        {
            results[k] = texts.Select(t => classifier.Predict(t)).ToArray();
        });
        foreach (var run in results)
        {
            for (int i = 0; i < texts.Count; i++)
                run[i].Probabilities.Select(p => p.Value).Should().Equal(expected[i].Probabilities.Select(p => p.Value));
        }
    }

    [Fact]
    public void Loading_a_folder_without_a_config_names_the_folder()
    {
        using var dir = new TempDirectory();
        var act = () => TextClassifier.Load(dir.Path);
        act.Should().Throw<InvalidDataException>().WithMessage($"*{dir.Path}*config.json*");
        var missing = () => TextClassifier.Load(Path.Combine(dir.Path, "nope"));
        missing.Should().Throw<DirectoryNotFoundException>();
    }
}
