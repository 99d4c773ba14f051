using Bert.Core;
using System.Text.Json;
using Bert.Classification.Metrics;

namespace Bert.Classification.Tests.Metrics;

/// <summary>
/// ClassificationReport against scikit-learn 1.2 goldens (TestData/metrics/make_metrics_goldens.py): numbers to
/// 1e-12, the text layout character for character for ASCII labels, aligned by display width for Japanese labels.
/// </summary>
public sealed class ClassificationReportTests
{
    private static readonly JsonElement[] Cases = LoadCases();

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases)
            data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Numbers_equal_scikit_learn_output_dict(string name)
    {
        var golden = Case(name);
        var report = Build(golden);
        var dict = golden.GetProperty("report");
        foreach (var row in report.Classes)
        {
            var expected = dict.GetProperty(row.Label);
            row.Precision.Should().BeApproximately(expected.GetProperty("precision").GetDouble(), 1e-12, $"precision of {row.Label}");
            row.Recall.Should().BeApproximately(expected.GetProperty("recall").GetDouble(), 1e-12, $"recall of {row.Label}");
            row.F1.Should().BeApproximately(expected.GetProperty("f1-score").GetDouble(), 1e-12, $"f1 of {row.Label}");
            row.Support.Should().Be(expected.GetProperty("support").GetInt32());
        }
        AssertAverage(report.MacroAvg, dict.GetProperty("macro avg"));
        AssertAverage(report.WeightedAvg, dict.GetProperty("weighted avg"));
        if (dict.TryGetProperty("accuracy", out var accuracy))
        {
            report.MicroIsAccuracy.Should().BeTrue();
            report.MicroAvg.Should().BeNull();
            report.ReportedAccuracy!.Value.Should().BeApproximately(accuracy.GetDouble(), 1e-12);
            report.Accuracy.Should().BeApproximately(accuracy.GetDouble(), 1e-12);
        }
        else
        {
            report.MicroIsAccuracy.Should().BeFalse();
            AssertAverage(report.MicroAvg!, dict.GetProperty("micro avg"));
        }
        // The per-class rows are exactly sklearn's rows, in its order.
        var expectedRows = dict.EnumerateObject().Select(p => p.Name).Where(n => n is not ("accuracy" or "micro avg" or "macro avg" or "weighted avg"));
        report.Labels.Should().Equal(expectedRows);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Json_has_the_shape_and_numbers_of_scikit_learns_output_dict(string name)
    {
        var golden = Case(name).GetProperty("report");
        using var ours = JsonDocument.Parse(Build(Case(name)).ToJson());
        var expected = golden.EnumerateObject().ToList();
        var actual = ours.RootElement.EnumerateObject().ToList();
        actual.Select(p => p.Name).Should().Equal(expected.Select(p => p.Name));
        foreach (var (e, a) in expected.Zip(actual))
        {
            if (e.Value.ValueKind == JsonValueKind.Number)
            {
                a.Value.GetDouble().Should().BeApproximately(e.Value.GetDouble(), 1e-12);
                continue;
            }
            foreach (var field in e.Value.EnumerateObject())
                a.Value.GetProperty(field.Name).GetDouble().Should().BeApproximately(field.Value.GetDouble(), 1e-12, $"{e.Name}.{field.Name}");
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Confusion_matrix_equals_scikit_learn(string name)
    {
        var golden = Case(name);
        var report = Build(golden);
        report.Labels.Should().Equal(golden.GetProperty("confusion_matrix_labels").EnumerateArray().Select(e => e.GetString()));
        var expected = golden.GetProperty("confusion_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray()).ToArray();
        report.ConfusionMatrix.Select(r => r.ToArray()).Should().BeEquivalentTo(expected, o => o.WithStrictOrdering());
    }

    [Theory]
    [InlineData("zero_division")]
    [InlineData("label_subset")]
    [InlineData("label_superset")]
    [InlineData("binary")]
    [InlineData("many_classes")]
    [InlineData("hand_small")]
    [InlineData("rounding_ties")]
    public void Text_equals_scikit_learn_character_for_character_for_ascii_labels(string name)
    {
        var golden = Case(name);
        var report = Build(golden);
        report.Format(2).Should().Be(golden.GetProperty("text_digits2").GetString());
        report.ToString().Should().Be(golden.GetProperty("text_digits2").GetString());
        report.Format(4).Should().Be(golden.GetProperty("text_digits4").GetString());
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void Japanese_labels_are_aligned_by_display_width_with_scikit_learns_tokens(int digits)
    {
        var golden = Case("knbc_japanese_419");
        var report = Build(golden);
        var ours = report.Format(digits).Split('\n');
        var theirs = golden.GetProperty($"text_digits{digits}").GetString()!.Split('\n');
        ours.Should().HaveSameCount(theirs);
        // scikit-learn pads by code points, so its Japanese rows are misaligned; the tokens are the same.
        for (var i = 0; i < ours.Length; i++)
            ours[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Should().Equal(theirs[i].Split(' ', StringSplitOptions.RemoveEmptyEntries), $"line {i}");
        // Every non-empty line spans the same number of terminal columns: width 12 ("weighted avg") + 1 + 4 × 10.
        var nonEmpty = ours.Where(l => l.Length > 0).ToList();
        nonEmpty.Should().HaveCount(8);
        nonEmpty.Select(DisplayWidth.Of).Should().AllBeEquivalentTo(12 + 1 + 40);
        // Each label ends exactly at column 12, like "weighted avg".
        foreach (var label in report.Labels)
        {
            var line = nonEmpty.Single(l => l.TrimStart().StartsWith(label, StringComparison.Ordinal));
            DisplayWidth.Of(line[..(line.IndexOf(label, StringComparison.Ordinal) + label.Length)]).Should().Be(12);
        }
        theirs.Where(l => l.Length > 0).Select(DisplayWidth.Of).Distinct().Should().HaveCountGreaterThan(1, "scikit-learn's own text is misaligned");
    }

    [Fact]
    public void Labels_are_sorted_by_code_point_as_numpy_sorts_them()
    {
        // U+1F600 (a surrogate pair in UTF-16) sorts after U+FF21 by code point, before it by UTF-16 ordinal.
        var report = ClassificationReport.Create(["😀", "Ａ", "a"], ["Ａ", "😀", "a"]);
        report.Labels.Should().Equal("a", "Ａ", "😀");
    }

    [Fact]
    public void Hand_computed_case_gives_the_expected_scores()
    {
        // a: 8 true, predicted a 7 times of which 7... see make_metrics_goldens.py case hand_small.
        string[] yTrue = [.. Enumerable.Repeat("a", 8), .. Enumerable.Repeat("b", 8), .. Enumerable.Repeat("c", 4)];
        string[] yPred = [.. Enumerable.Repeat("a", 7), "b", .. Enumerable.Repeat("b", 5), "a", "a", "a", "c", "c", "a", "b"];
        var report = ClassificationReport.Create(yTrue, yPred);
        // a: tp 7, predicted 7 + 3 + 1 = 11 -> P 7/11, R 7/8; b: tp 5, predicted 1 + 5 + 1 = 7 -> P 5/7, R 5/8; c: tp 2, predicted 2 -> P 1, R 1/2.
        report["a"].Precision.Should().Be(7.0 / 11);
        report["a"].Recall.Should().Be(7.0 / 8);
        report["b"].Precision.Should().Be(5.0 / 7);
        report["c"].Recall.Should().Be(0.5);
        report["c"].F1.Should().BeApproximately(2 * 1 * 0.5 / 1.5, 1e-15);
        report.Accuracy.Should().Be(14.0 / 20);
        report.ConfusionMatrix[0].Should().Equal(7, 1, 0);
        report.ConfusionMatrix[1].Should().Equal(3, 5, 0);
        report.ConfusionMatrix[2].Should().Equal(1, 1, 2);
        report.Warnings.Should().BeEmpty();
    }

    [Fact]
    public void Zero_division_gives_zero_and_says_which_labels()
    {
        var report = Build(Case("zero_division"));
        report["c"].Precision.Should().Be(0);
        report["d"].Recall.Should().Be(0);
        report.Warnings.Should().HaveCount(2);
        report.Warnings[0].Should().Contain("no predicted samples: c");
        report.Warnings[1].Should().Contain("no true samples: d");
    }

    [Fact]
    public void Unlisted_predictions_count_as_wrong_and_give_a_micro_average()
    {
        var report = ClassificationReport.Create(["a", "a", "b", "b"], ["a", "zzz", "b", "a"], ["a", "b"]);
        report["a"].Recall.Should().Be(0.5, "the prediction 'zzz' is a miss for a");
        report["a"].Precision.Should().Be(0.5);
        report.MicroAvg.Should().NotBeNull();
        report.MicroAvg!.Precision.Should().Be(2.0 / 3, "3 predictions fall on listed labels, 2 right");
        report.MicroAvg.Recall.Should().Be(2.0 / 4);
        report.Accuracy.Should().Be(0.5);
        report.Format().Should().Contain("micro avg");
    }

    [Fact]
    public void Index_overload_equals_the_string_overload_with_the_names_as_labels()
    {
        var golden = Case("knbc_japanese_419");
        var names = new[] { "グルメ", "携帯電話", "京都", "スポーツ" };
        var index = names.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i);
        var yTrue = golden.GetProperty("y_true").EnumerateArray().Select(e => index[e.GetString()!]).ToArray();
        var yPred = golden.GetProperty("y_pred").EnumerateArray().Select(e => index[e.GetString()!]).ToArray();
        var byIndex = ClassificationReport.Create(yTrue, yPred, names);
        var byName = Build(golden);
        byIndex.Labels.Should().Equal(names);
        foreach (var name in names)
            byIndex[name].Should().Be(byName[name]);
        byIndex.WeightedAvg.Should().Be(byName.WeightedAvg);
        byIndex.MicroIsAccuracy.Should().BeTrue();
    }

    [Fact]
    public void Bad_input_is_an_argument_exception_with_a_clear_message()
    {
        FluentActions.Invoking(() => ClassificationReport.Create(Array.Empty<string>(), Array.Empty<string>())).Should().Throw<ArgumentException>().WithMessage("*empty*");
        FluentActions.Invoking(() => ClassificationReport.Create(["a", "b"], ["a"])).Should().Throw<ArgumentException>().WithMessage("*2 labels*1*");
        FluentActions.Invoking(() => ClassificationReport.Create(["a", "a"], ["a", "a"])).Should().Throw<ArgumentException>().WithMessage("*at least two classes*");
        FluentActions.Invoking(() => ClassificationReport.Create(["a", "b"], ["a", "b"], ["a"])).Should().Throw<ArgumentException>().WithMessage("*at least two*");
        FluentActions.Invoking(() => ClassificationReport.Create(["a", "b"], ["a", "b"], ["a", "b", "a"])).Should().Throw<ArgumentException>().WithMessage("*repeated*");
        FluentActions.Invoking(() => ClassificationReport.Create(["a", null!], ["a", "b"])).Should().Throw<ArgumentException>().WithMessage("*yTrue[1]*");
        FluentActions.Invoking(() => ClassificationReport.Create([0, 3], [0, 1], ["x", "y"])).Should().Throw<ArgumentOutOfRangeException>().WithMessage("*yTrue[1] = 3*");
        FluentActions.Invoking(() => ClassificationReport.Create(["a", "b"], ["a", "b"]).Format(-1)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Confusion_matrix_text_is_aligned_by_display_width()
    {
        var report = Build(Case("knbc_japanese_419"));
        var lines = report.FormatConfusionMatrix().TrimEnd('\n').Split('\n');
        lines.Should().HaveCount(5);
        lines.Select(DisplayWidth.Of).Distinct().Should().ContainSingle("every row spans the same columns");
        for (var i = 0; i < 4; i++)
        {
            var cells = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            cells[0].Should().Be(report.Labels[i]);
            cells.Skip(1).Select(int.Parse).Should().Equal(report.ConfusionMatrix[i]);
        }
        // Column j ends at the same display column on every line (header label and counts right-aligned).
        var header = lines[0];
        for (var j = 0; j < 4; j++)
        {
            var end = DisplayWidth.Of(header[..(header.IndexOf(report.Labels[j], StringComparison.Ordinal) + report.Labels[j].Length)]);
            foreach (var line in lines.Skip(1))
            {
                var tokens = Tokens(line);
                tokens[j + 1].End.Should().Be(end);
            }
        }
    }

    [Fact]
    public void Bootstrap_interval_contains_the_estimate_matches_the_normal_approximation_and_is_seeded()
    {
        var report = Build(Case("knbc_japanese_419"));
        var (lower, upper) = report.BootstrapConfidenceInterval(ReportMetric.Accuracy);
        lower.Should().BeLessThan(report.Accuracy);
        upper.Should().BeGreaterThan(report.Accuracy);
        // Wald half-width 1.96 sqrt(p(1-p)/n) for a proportion; the percentile bootstrap agrees within 15%.
        var p = report.Accuracy;
        var wald = 2 * 1.96 * Math.Sqrt(p * (1 - p) / report.SampleCount);
        (upper - lower).Should().BeInRange(0.85 * wald, 1.15 * wald);
        report.BootstrapConfidenceInterval(ReportMetric.Accuracy).Should().Be((lower, upper), "same seed, same interval");
        report.BootstrapConfidenceInterval(ReportMetric.Accuracy, seed: 7).Should().NotBe((lower, upper));

        var (fl, fu) = report.BootstrapConfidenceInterval(ReportMetric.WeightedF1);
        fl.Should().BeLessThan(report.WeightedAvg.F1);
        fu.Should().BeGreaterThan(report.WeightedAvg.F1);
        var (ml, mu) = report.BootstrapConfidenceInterval(ReportMetric.MacroF1);
        ml.Should().BeLessThan(report.MacroAvg.F1);
        mu.Should().BeGreaterThan(report.MacroAvg.F1);
        report.FormatUncertainty().Should().Contain("accuracy 0.79 [").And.Contain("n = 419");
    }

    [Fact]
    public void Bootstrap_interval_narrows_as_the_test_set_grows()
    {
        double Width(int n)
        {
            // 80% accurate predictions on n samples, 4 classes, no randomness: every fifth prediction wrong.
            var yTrue = Enumerable.Range(0, n).Select(i => "c" + (i % 4)).ToArray();
            var yPred = yTrue.Select((t, i) => i % 5 == 0 ? "c" + ((i + 1) % 4) : t).ToArray();
            var (l, u) = ClassificationReport.BootstrapConfidenceInterval(yTrue, yPred, ReportMetric.WeightedF1);
            return u - l;
        }
        var w400 = Width(400);
        var w1600 = Width(1600);
        (w1600 / w400).Should().BeInRange(0.4, 0.6, "four times the samples halves the width");
    }

    [Fact]
    public void Bootstrap_interval_covers_the_true_accuracy_about_95_percent_of_the_time()
    {
        // 300 simulated test sets of 200 samples from a classifier whose true accuracy is 0.8.
        var rng = new Pcg64(12345);
        var covered = 0;
        const int trials = 300;
        for (var t = 0; t < trials; t++)
        {
            var yTrue = Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? "x" : "y").ToArray();
            var yPred = yTrue.Select(l => rng.NextDouble() < 0.8 ? l : (l == "x" ? "y" : "x")).ToArray();
            var (lower, upper) = ClassificationReport.BootstrapConfidenceInterval(yTrue, yPred, ReportMetric.Accuracy, resamples: 400, seed: t);
            if (lower <= 0.8 && 0.8 <= upper)
                covered++;
        }
        ((double)covered / trials).Should().BeInRange(0.90, 0.99);
    }

    private static List<(int Start, int End)> Tokens(string line)
    {
        var tokens = new List<(int, int)>();
        var column = 0;
        var start = -1;
        foreach (var rune in line.EnumerateRunes())
        {
            if (rune.Value == ' ')
            {
                if (start >= 0)
                    tokens.Add((start, column));
                start = -1;
            }
            else if (start < 0)
            {
                start = column;
            }
            column += DisplayWidth.Of(rune);
        }
        if (start >= 0)
            tokens.Add((start, column));
        return tokens;
    }

    private static void AssertAverage(AverageMetrics actual, JsonElement expected)
    {
        actual.Precision.Should().BeApproximately(expected.GetProperty("precision").GetDouble(), 1e-12);
        actual.Recall.Should().BeApproximately(expected.GetProperty("recall").GetDouble(), 1e-12);
        actual.F1.Should().BeApproximately(expected.GetProperty("f1-score").GetDouble(), 1e-12);
        actual.Support.Should().Be(expected.GetProperty("support").GetInt32());
    }

    private static ClassificationReport Build(JsonElement golden)
    {
        var yTrue = golden.GetProperty("y_true").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var yPred = golden.GetProperty("y_pred").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var labels = golden.GetProperty("labels").ValueKind == JsonValueKind.Null
            ? null
            : golden.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!).ToArray();
        return ClassificationReport.Create(yTrue, yPred, labels);
    }

    private static JsonElement Case(string name) => Cases.Single(c => c.GetProperty("name").GetString() == name);

    private static JsonElement[] LoadCases()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "metrics", "classification_report_goldens.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(e => e.Clone()).ToArray();
    }
}
