using System.Text.Json;
using Bert.Classification.Metrics;

namespace Bert.Classification.Tests.Metrics;

/// <summary>
/// MultiLabelReport against scikit-learn 1.2 on the indicator matrix (TestData/metrics/make_task_metrics_goldens.py):
/// every row and average to 1e-12, subset accuracy and Hamming loss, the text layout for ASCII labels.
/// </summary>
public sealed class MultiLabelReportTests
{
    private static readonly JsonElement[] Cases = GoldenFile.Cases("multilabel_report_goldens.json");

    public static TheoryData<string> CaseNames() => GoldenFile.Names(Cases);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Numbers_equal_scikit_learn(string name)
    {
        var golden = Cases.Single(c => c.GetProperty("name").GetString() == name);
        var report = Build(golden);
        var dict = golden.GetProperty("report");
        foreach (var row in report.Classes)
            Expect(dict.GetProperty(row.Label), row.Precision, row.Recall, row.F1, row.Support, row.Label);
        foreach (var (key, avg) in new[] { ("micro avg", report.MicroAvg), ("macro avg", report.MacroAvg), ("weighted avg", report.WeightedAvg), ("samples avg", report.SamplesAvg) })
            Expect(dict.GetProperty(key), avg.Precision, avg.Recall, avg.F1, avg.Support, key);
        report.SubsetAccuracy.Should().BeApproximately(golden.GetProperty("subset_accuracy").GetDouble(), 1e-12);
        report.HammingLoss.Should().BeApproximately(golden.GetProperty("hamming_loss").GetDouble(), 1e-12);
    }

    [Theory]
    [InlineData("zero_division")]
    [InlineData("many_labels")]
    [InlineData("exact")]
    public void Text_equals_scikit_learns_for_ascii_labels(string name)
    {
        var golden = Cases.Single(c => c.GetProperty("name").GetString() == name);
        var report = Build(golden);
        report.Format(2).Should().StartWith(golden.GetProperty("text_digits2").GetString()!.TrimEnd('\n') + "\n");
        report.Format(4).Should().StartWith(golden.GetProperty("text_digits4").GetString()!.TrimEnd('\n') + "\n");
        report.ToString().Should().Contain("subset accuracy: ").And.Contain("hamming loss: ");
    }

    [Fact]
    public void Bad_input_is_named()
    {
        IReadOnlyCollection<string>[] one = [new[] { "a" }];
        FluentActions.Invoking(() => MultiLabelReport.Create(one, [new[] { "z" }], ["a", "b"])).Should().Throw<ArgumentException>().WithMessage("*'z'*not one of the labels*");
        FluentActions.Invoking(() => MultiLabelReport.Create(one, [], ["a", "b"])).Should().Throw<ArgumentException>().WithMessage("*1 label sets*0*");
        FluentActions.Invoking(() => MultiLabelReport.Create(one, one, ["a", "a"])).Should().Throw<ArgumentException>().WithMessage("*repeated*");
    }

    private static MultiLabelReport Build(JsonElement golden)
    {
        IReadOnlyCollection<string>[] Sets(string key) => golden.GetProperty(key).EnumerateArray()
            .Select(s => (IReadOnlyCollection<string>)s.EnumerateArray().Select(l => l.GetString()!).ToArray()).ToArray();
        return MultiLabelReport.Create(Sets("y_true"), Sets("y_pred"), golden.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!).ToArray());
    }

    private static void Expect(JsonElement expected, double precision, double recall, double f1, int support, string what)
    {
        precision.Should().BeApproximately(expected.GetProperty("precision").GetDouble(), 1e-12, $"precision of {what}");
        recall.Should().BeApproximately(expected.GetProperty("recall").GetDouble(), 1e-12, $"recall of {what}");
        f1.Should().BeApproximately(expected.GetProperty("f1-score").GetDouble(), 1e-12, $"f1 of {what}");
        support.Should().Be(expected.GetProperty("support").GetInt32(), $"support of {what}");
    }
}
