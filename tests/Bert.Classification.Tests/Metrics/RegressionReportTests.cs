using System.Globalization;
using System.Text.Json;
using Bert.Classification.Metrics;

namespace Bert.Classification.Tests.Metrics;

/// <summary>
/// RegressionReport against scikit-learn 1.2 (MSE, MAE, R²) and SciPy 1.10 (pearsonr, spearmanr with tie-averaged
/// ranks) on the same values (TestData/metrics/make_task_metrics_goldens.py), to 1e-12 (relative for large values):
/// constant sides whose mean is inexact, magnitudes near 1e-200 and 1e150, two samples.
/// </summary>
public sealed class RegressionReportTests
{
    private static readonly JsonElement[] Cases = GoldenFile.Cases("regression_report_goldens.json");

    public static TheoryData<string> CaseNames() => GoldenFile.Names(Cases);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Scores_equal_scikit_learn_and_scipy(string name)
    {
        var golden = Cases.Single(c => c.GetProperty("name").GetString() == name);
        double[] Values(string key) => golden.GetProperty(key).EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var report = RegressionReport.Create(Values("y_true"), Values("y_pred"));
        // 1e-12, relative where the values are large (the "huge" case's squares are near 1e300).
        double Tolerance(string key) => 1e-12 * Math.Max(1, Math.Abs(golden.GetProperty(key).GetDouble()));
        report.MeanSquaredError.Should().BeApproximately(golden.GetProperty("mse").GetDouble(), Tolerance("mse"));
        report.MeanAbsoluteError.Should().BeApproximately(golden.GetProperty("mae").GetDouble(), Tolerance("mae"));
        report.R2.Should().BeApproximately(golden.GetProperty("r2").GetDouble(), Tolerance("r2"));
        foreach (var (key, value) in new[] { ("pearson", report.Pearson), ("spearman", report.Spearman) })
        {
            if (golden.GetProperty(key).ValueKind == JsonValueKind.Null)
                double.IsNaN(value).Should().BeTrue($"{key} is undefined for constant input");
            else
                value.Should().BeApproximately(golden.GetProperty(key).GetDouble(), 1e-12, key);
        }
    }

    [Fact]
    public void Text_has_one_round_trip_line_per_score()
    {
        var report = RegressionReport.Create([1, 2, 3, 4], [1.5, 2, 2.5, 5]);
        var lines = report.ToString().TrimEnd('\n').Split('\n');
        lines.Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).Should().Equal("mse", "mae", "r2", "pearson", "spearman");
        double.Parse(lines[0]["mse: ".Length..], CultureInfo.InvariantCulture).Should().Be(report.MeanSquaredError);
    }

    [Fact]
    public void Ties_get_their_average_rank()
    {
        RegressionReport.Ranks([10, 20, 10, 30, 20, 20]).Should().Equal(1.5, 4, 1.5, 6, 4, 4);
    }

    [Fact]
    public void Bad_input_is_named()
    {
        FluentActions.Invoking(() => RegressionReport.Create([1, 2], [1])).Should().Throw<ArgumentException>().WithMessage("*2 values*1*");
        FluentActions.Invoking(() => RegressionReport.Create([1, double.NaN], [1, 2])).Should().Throw<ArgumentException>().WithMessage("*Sample 1 is not finite*");
        FluentActions.Invoking(() => RegressionReport.Create([], [])).Should().Throw<ArgumentException>().WithMessage("*empty*");
    }
}
