using Bert.Classification.Data;
using Bert.Classification.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Classification.Tests.Training;

/// <summary>
/// Multi-label, regression and sentence-pair training on the committed toy data: each trains a tiny BERT for a few
/// epochs, beats the untrained model, saves, loads and predicts the same typed results.
/// </summary>
public class ProblemTypeTests
{
    private static ClassificationTrainerOptions Fast(int epochs) => new() { Epochs = epochs, BatchSize = 16, LearningRate = 1e-3, Seed = 7 };

    [Fact]
    public void Multi_label_training_learns_label_sets_and_the_saved_threshold_comes_back()
    {
        var indexer = ToyData.Indexer();
        var train = ToyData.MakeMultiLabel(320, seed: 1);
        var validation = ToyData.MakeMultiLabel(80, seed: 2);
        train.Should().Contain(e => e.Labels!.Count == 1).And.Contain(e => e.Labels!.Count == 2).And.Contain(e => e.Labels!.Count == 3);
        var head = new ClassificationHeadOptions { ProblemType = ProblemType.MultiLabel, Threshold = 0.4 };
        using var model = ToyData.Model(indexer.VocabSize, seed: 3, head, ToyData.MultiLabels.Length);
        var options = Fast(12);
        options.LearningRate = 3e-3;
        var trainer = new ClassificationTrainer(model, indexer, ToyData.MultiLabels, options);
        trainer.SelectBestBy.Should().Be(SelectionMetric.Loss, "subset accuracy often stays 0 while a multi-label model improves");
        var before = trainer.Evaluate(validation).MultiLabelReport!;

        var result = trainer.Train(train, validation);

        var after = trainer.Evaluate(validation);
        after.MultiLabelReport!.MicroAvg.F1.Should().BeGreaterThan(0.8, $"untrained micro F1 was {before.MicroAvg.F1:F3}");
        after.MultiLabelReport.SubsetAccuracy.Should().BeGreaterThan(before.SubsetAccuracy + 0.3, $"untrained subset accuracy was {before.SubsetAccuracy:F3}");
        after.MultiLabelReport.HammingLoss.Should().BeLessThan(before.HammingLoss / 2);
        after.MultiLabelReport.SubsetAccuracy.Should().Be(result.Best.Accuracy, "the best epoch's subset accuracy is the history's accuracy");
        after.Predictions.Should().OnlyContain(p => p.ProblemType == ProblemType.MultiLabel && p.Label == null && p.Probabilities.Count == 4);
        after.Predictions.Should().OnlyContain(p => p.Labels.SequenceEqual(p.Probabilities.Where(kv => kv.Value >= 0.4).Select(kv => kv.Key)));

        using var classifier = new TextClassifier(model, indexer, ToyData.MultiLabels, ToyData.SpmModel, result.MaxSequenceLength);
        using var dir = new TempDirectory();
        classifier.Save(Path.Combine(dir.Path, "m"));
        using var loaded = TextClassifier.Load(Path.Combine(dir.Path, "m"));
        loaded.ProblemType.Should().Be(ProblemType.MultiLabel);
        loaded.Threshold.Should().Be(0.4);
        var texts = validation.Select(e => e.Text).ToArray();
        loaded.PredictBatch(texts).Select(p => p.ToString()).Should().Equal(classifier.PredictBatch(texts).Select(p => p.ToString()));
    }

    [Fact]
    public void Regression_training_fits_a_number_and_predicts_values_without_probabilities()
    {
        var indexer = ToyData.Indexer();
        var train = ToyData.MakeRegression(320, seed: 4);
        var validation = ToyData.MakeRegression(80, seed: 5);
        var head = new ClassificationHeadOptions { ProblemType = ProblemType.Regression };
        using var model = ToyData.Model(indexer.VocabSize, seed: 6, head, numLabels: 1);
        using var checkpoints = new TempDirectory();
        var options = Fast(8);
        options.CheckpointDirectory = checkpoints.Path; // trainer.json must hold the NaN accuracies of regression epochs
        var trainer = new ClassificationTrainer(model, indexer, ["value"], options);
        trainer.SelectBestBy.Should().Be(SelectionMetric.Loss);
        var before = trainer.Evaluate(validation).RegressionReport!;

        var result = trainer.Train(train, validation);

        var after = trainer.Evaluate(validation);
        after.RegressionReport!.MeanSquaredError.Should().BeLessThan(before.MeanSquaredError / 2);
        after.RegressionReport.Pearson.Should().BeGreaterThan(0.8, $"untrained Pearson was {before.Pearson:F3}");
        after.Loss.Should().BeApproximately(after.RegressionReport.MeanSquaredError, 1e-4, "the validation loss is the MSE");
        double.IsNaN(result.Best.Accuracy).Should().BeTrue("accuracy means nothing for regression");

        using var classifier = new TextClassifier(model, indexer, ["value"], ToyData.SpmModel, result.MaxSequenceLength);
        var prediction = classifier.Predict(validation[0].Text);
        prediction.Value.Should().BeApproximately(after.Predictions[0].Value!.Value, 1e-5);
        prediction.Probabilities.Should().BeEmpty();
        prediction.Probability.Should().BeNull();
        prediction.Label.Should().BeNull();
    }

    [Fact]
    public void Pair_training_reads_the_second_segment()
    {
        // The label is the topic of the SECOND text; the first text is of a random topic.
        var indexer = ToyData.Indexer();
        List<TextExample> Pairs(int count, int seed)
        {
            var first = ToyData.Make(count, seed);
            var second = ToyData.Make(count, seed + 100);
            var random = new Random(seed);
            return second.Select((e, i) => new TextExample(first[random.Next(count)].Text, e.Label!) { Text2 = e.Text }).ToList();
        }
        var train = Pairs(320, 7);
        var validation = Pairs(80, 8);
        using var model = ToyData.Model(indexer.VocabSize, seed: 9);
        var trainer = new ClassificationTrainer(model, indexer, ToyData.Labels, Fast(8));
        var result = trainer.Train(train, validation);
        trainer.Evaluate(validation).Report!.Accuracy.Should().BeGreaterThanOrEqualTo(0.9);
        result.MaxSequenceLength.Should().Be(train.Max(e => indexer.Encode(e.Text, e.Text2).Length));

        using var classifier = new TextClassifier(model, indexer, ToyData.Labels, ToyData.SpmModel, result.MaxSequenceLength);
        var batch = classifier.PredictBatch(validation.Select(e => e.Text).ToArray(), validation.Select(e => e.Text2!).ToArray());
        // One text and a batch may take different kernels or blockings (the packed kernel up to a row count, MKL above;
        // parallel streams): float32-accurate, not bit-identical.
        classifier.Predict(validation[3].Text, validation[3].Text2).Probabilities.Select(p => p.Value)
            .Should().Equal(batch[3].Probabilities.Select(p => p.Value), (a, b) => Math.Abs(a - b) <= 1e-5f);
        FluentActions.Invoking(() => trainer.Train(train, ToyData.Make(8, 1))).Should().Throw<ArgumentException>().WithMessage("*pairs*");
    }

    [Fact]
    public void Class_weights_weigh_the_cross_entropy_as_pytorch_defines_it()
    {
        // PyTorch's weighted mean: sum_i w[y_i] * -log p_i[y_i] / sum_i w[y_i]; one evaluation batch holds every example.
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 10);
        var examples = ToyData.Make(40, 11);
        var weights = new Dictionary<string, double> { ["グルメ"] = 5, ["スポーツ"] = 0.5 };
        var plain = new ClassificationTrainer(model, indexer, ToyData.Labels, Fast(1)).Evaluate(examples);
        var weighted = new ClassificationTrainer(model, indexer, ToyData.Labels, new ClassificationTrainerOptions { ClassWeights = weights }).Evaluate(examples);
        double num = 0, den = 0, unweighted = 0;
        for (int i = 0; i < examples.Count; i++)
        {
            double w = weights[examples[i].Label!];
            double nll = -Math.Log(weighted.Predictions[i].Probabilities.Single(p => p.Key == examples[i].Label).Value);
            num += w * nll;
            den += w;
            unweighted += nll / examples.Count;
        }
        weighted.Loss.Should().BeApproximately(num / den, 1e-5);
        plain.Loss.Should().BeApproximately(unweighted, 1e-5);
        weighted.Loss.Should().NotBeApproximately(plain.Loss, 1e-4);
    }

    [Fact]
    public void A_bfloat16_model_trains_on_an_explicit_cpu_device()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 12);
        model.to(ScalarType.BFloat16);
        var options = Fast(1);
        options.Device = CPU;
        var result = new ClassificationTrainer(model, indexer, ToyData.Labels, options).Train(ToyData.Make(32, 13), ToyData.Make(16, 14));
        double.IsFinite(result.History[0].TrainLoss).Should().BeTrue();
        model.state_dict()["classifier.weight"].dtype.Should().Be(ScalarType.BFloat16);
    }

    [Fact]
    public void A_label_with_one_training_example_and_no_validation_example_is_warned_about()
    {
        // The hostile campaign's case: one bit flipped in labels.csv turned 'グルメ' into 'グルム', a class of one example.
        var indexer = ToyData.Indexer();
        string[] labels = [.. ToyData.Labels, "グルム"];
        using var model = ToyData.Model(indexer.VocabSize, seed: 18, numLabels: labels.Length);
        var train = ToyData.Make(16, 18);
        train.Add(new TextExample(train[0].Text, "グルム"));
        var result = new ClassificationTrainer(model, indexer, labels, Fast(1)).Train(train, ToyData.Make(8, 19));
        result.Warnings.Should().ContainSingle(w => w.Contains("'グルム' occur in one training example only and in no validation (test) example"));
        result.Warnings.Should().NotContain(w => w.Contains("'グルメ'") || w.Contains("'スポーツ'"));
    }

    [Fact]
    public void Data_problems_are_named_before_training()
    {
        var indexer = ToyData.Indexer();
        using var model = ToyData.Model(indexer.VocabSize, seed: 15);
        var trainer = new ClassificationTrainer(model, indexer, ToyData.Labels, Fast(1));
        var train = ToyData.Make(16, 16);
        var onlyGourmet = train.Where(e => e.Label == "グルメ").ToList();

        FluentActions.Invoking(() => trainer.Train(onlyGourmet, train)).Should().Throw<ArgumentException>()
            .WithMessage("*'スポーツ' occur in the validation (test) set but in no training example*");
        FluentActions.Invoking(() => trainer.Train(onlyGourmet, onlyGourmet)).Should().Throw<ArgumentException>().WithMessage("*one class*");
        FluentActions.Invoking(() => trainer.Train(train, [new TextExample("x", 1.0)])).Should().Throw<ArgumentException>().WithMessage("*Regression*SingleLabel*");
        FluentActions.Invoking(() => new ClassificationTrainer(model, indexer, ["Gourmet", "gourmet "])).Should().Throw<ArgumentException>().WithMessage("*'Gourmet', 'gourmet ' differ only by case or white space*");
        FluentActions.Invoking(() => new ClassificationTrainer(model, indexer, ["a", "a"])).Should().Throw<ArgumentException>().WithMessage("*'a' is listed 2 times*");
        FluentActions.Invoking(() => new ClassificationTrainer(model, indexer, ["a", " "])).Should().Throw<ArgumentException>().WithMessage("*Label 1 is empty*");

        var head = new ClassificationHeadOptions { ProblemType = ProblemType.Regression };
        using var regressor = ToyData.Model(indexer.VocabSize, seed: 17, head, numLabels: 1);
        var constant = train.Select(e => new TextExample(e.Text, 2.0)).ToList();
        FluentActions.Invoking(() => new ClassificationTrainer(regressor, indexer, ["value"], Fast(1)).Train(constant, constant))
            .Should().Throw<ArgumentException>().WithMessage("*Every training target is 2*");
        FluentActions.Invoking(() => new ClassificationTrainer(regressor, indexer, ["value"], new ClassificationTrainerOptions { SelectBestBy = SelectionMetric.MacroF1 }))
            .Should().Throw<ArgumentException>().WithMessage("*regression*Loss*");
    }
}
