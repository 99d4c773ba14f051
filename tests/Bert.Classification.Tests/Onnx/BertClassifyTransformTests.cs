using Bert.Classification.Onnx;
using Bert.Core.Modeling;
using Bert.MLNet;
using Bert.Tests;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace Bert.Classification.Tests.Onnx;

/// <summary>The ML.NET transform (<c>mlContext.Transforms.BertClassify</c>) in a pipeline, against TextClassifier.</summary>
public class BertClassifyTransformTests(ITestOutputHelper output)
{
    public sealed class Row
    {
        public string Sentence { get; set; } = "";

        public int Id { get; set; }
    }

    public sealed class Scored
    {
        public string Sentence { get; set; } = "";

        public int Id { get; set; }

        public string PredictedLabel { get; set; } = "";

        public float[] Score { get; set; } = [];

        public float[] Copy { get; set; } = [];
    }

    /// <summary>The transform's output without the pipeline's extra column.</summary>
    public sealed class Labeled
    {
        public string Sentence { get; set; } = "";

        public int Id { get; set; }

        public string PredictedLabel { get; set; } = "";

        public float[] Score { get; set; } = [];
    }

    [Fact]
    public void A_pipeline_with_BertClassify_adds_the_labels_and_probabilities_TextClassifier_predicts()
    {
        var indexer = ToyData.Indexer();
        TorchSharp.torch.manual_seed(41);
        var model = new BertForSequenceClassification(new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(41).Build(), 2);
        using var classifier = new TextClassifier(model, indexer, ToyData.Labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        ClassifierOnnxExport.Export(classifier, dir.Path);
        var texts = ToyData.Make(30, 5).Select(e => e.Text).ToList();

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(texts.Select((t, i) => new Row { Sentence = t, Id = i }));
        var pipeline = ml.Transforms.BertClassify(dir.Path, inputColumnName: nameof(Row.Sentence))
            .Append(ml.Transforms.CopyColumns("Copy", BertClassifyTransformer.ScoreColumn)); // composes with ML.NET's own transforms
        var fitted = pipeline.Fit(data);
        var transformed = fitted.Transform(data);

        var score = transformed.Schema[BertClassifyTransformer.ScoreColumn];
        score.Type.Should().BeOfType<VectorDataViewType>().Which.Size.Should().Be(2);
        transformed.Schema[BertClassifyTransformer.PredictedLabelColumn].Type.Should().Be(TextDataViewType.Instance);
        var rows = ml.Data.CreateEnumerable<Scored>(transformed, reuseRowObject: false).ToList();
        var expected = classifier.PredictBatch(texts);
        rows.Should().HaveCount(texts.Count);
        double worst = 0;
        foreach (var row in rows)
        {
            row.Sentence.Should().Be(texts[row.Id]);
            row.PredictedLabel.Should().Be(expected[row.Id].Label);
            row.Copy.Should().Equal(row.Score);
            var e = expected[row.Id].Probabilities.Select(p => p.Value).ToArray();
            worst = Math.Max(worst, e.Zip(row.Score).Max(p => Math.Abs(p.First - p.Second)));
        }
        output.WriteLine($"ML.NET BertClassify vs TextClassifier over {texts.Count} rows: max |diff| probabilities {worst:E2}");
        worst.Should().BeLessThan(1e-5);
        ((IDisposable)fitted.First()).Dispose();
    }

    [Fact]
    public void A_disposed_transformer_throws_ObjectDisposedException()
    {
        var indexer = ToyData.Indexer();
        var model = new BertForSequenceClassification(new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(43).Build(), 2);
        using var classifier = new TextClassifier(model, indexer, ToyData.Labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        ClassifierOnnxExport.Export(classifier, dir.Path);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Sentence = "ラーメン" } });
        var transformer = ml.Transforms.BertClassify(dir.Path, inputColumnName: nameof(Row.Sentence)).Fit(data);
        transformer.Dispose();
        transformer.Invoking(t => ml.Data.CreateEnumerable<Labeled>(t.Transform(data), reuseRowObject: false).ToList()).Should().Throw<ObjectDisposedException>();
        transformer.Invoking(t => t.GetOutputSchema(data.Schema)).Should().Throw<ObjectDisposedException>();
        transformer.Invoking(t => t.Classifier.Predict("ラーメン")).Should().Throw<ObjectDisposedException>();
        transformer.Invoking(t => t.Dispose()).Should().NotThrow();
    }

    [Theory]
    [InlineData(new float[] { -3, 3, -3, 3 }, "スポーツ|友達")]
    [InlineData(new float[] { -3, -3, -3, -3 }, "")]
    public void Multi_label_PredictedLabel_is_the_labels_above_the_threshold_joined_as_TextClassifier_and_OnnxTextClassifier_give_them(float[] bias, string joined)
    {
        var indexer = ToyData.Indexer();
        string[] labels = ToyData.MultiLabels;
        var model = ToyData.Model(indexer.VocabSize, seed: 44, new ClassificationHeadOptions { ProblemType = ProblemType.MultiLabel, Threshold = 0.4 }, labels.Length);
        using (TorchSharp.torch.no_grad())
            model.named_parameters().Single(p => p.name == "classifier.bias").parameter.copy_(TorchSharp.torch.tensor(bias));   // the logits follow the bias
        using var classifier = new TextClassifier(model, indexer, labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        ClassifierOnnxExport.Export(classifier, dir.Path);
        var texts = ToyData.Make(10, 6).Select(e => e.Text).ToList();

        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(texts.Select((t, i) => new Row { Sentence = t, Id = i }));
        using var transformer = ml.Transforms.BertClassify(dir.Path, inputColumnName: nameof(Row.Sentence)).Fit(data);
        var rows = ml.Data.CreateEnumerable<Labeled>(transformer.Transform(data), reuseRowObject: false).ToList();
        var expected = classifier.PredictBatch(texts);
        var served = transformer.Classifier.PredictBatch(texts);
        rows.Should().HaveCount(texts.Count);
        foreach (var row in rows)
        {
            string.Join("|", expected[row.Id].Labels).Should().Be(joined);
            row.PredictedLabel.Should().Be(joined, $"row {row.Id}: the labels above the threshold, not the most probable one");
            expected[row.Id].ToString().Should().Be(joined);
            served[row.Id].ToString().Should().Be(joined);
            served[row.Id].Label.Should().BeNull("a multi-label prediction is a set, as TextClassifier's");
        }
    }

    [Fact]
    public void A_missing_text_column_is_named_when_fitting()
    {
        var indexer = ToyData.Indexer();
        var model = new BertForSequenceClassification(new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(42).Build(), 2);
        using var classifier = new TextClassifier(model, indexer, ToyData.Labels, SharedData.PathOf(ToyData.SpmModel), 64);
        using var dir = new TempDirectory();
        ClassifierOnnxExport.Export(classifier, dir.Path);
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Sentence = "x" } });
        var act = () => ml.Transforms.BertClassify(dir.Path, inputColumnName: "Text").Fit(data);
        act.Should().Throw<ArgumentException>().WithMessage("*no column 'Text'*Sentence*");
    }
}
