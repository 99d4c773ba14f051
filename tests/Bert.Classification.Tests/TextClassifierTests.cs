using Bert.Classification.Training;

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
        File.Exists(Path.Combine(folder, "tokenizer.model")).Should().BeTrue();
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
    public void Saving_again_replaces_the_folder_and_leaves_no_temporary_files()
    {
        var (classifier, _) = Trained();
        using var __ = classifier;
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "model");
        classifier.Save(folder);
        File.WriteAllText(Path.Combine(folder, "stale.txt"), "from an older save");
        classifier.Save(folder);
        File.Exists(Path.Combine(folder, "stale.txt")).Should().BeFalse();
        Directory.GetFileSystemEntries(dir.Path).Should().ContainSingle();
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
