using System.Globalization;
using System.Text;

namespace Bert.Classification.Metrics;

/// <summary>
/// Scores of regression predictions, as scikit-learn and SciPy compute them: mean squared error
/// (<c>mean_squared_error</c>), mean absolute error (<c>mean_absolute_error</c>), R² (<c>r2_score</c>), Pearson's r
/// (<c>scipy.stats.pearsonr</c>) and Spearman's ρ (<c>scipy.stats.spearmanr</c>: Pearson's r of the ranks, ties
/// given their average rank). Tested against scikit-learn 1.2 / SciPy 1.10 goldens.
/// </summary>
/// <remarks>
/// Constant inputs: R² is 1 when the predictions are exact and 0 otherwise if the true values are constant
/// (scikit-learn's <c>force_finite</c>); the correlations are NaN when either side is constant (SciPy warns and
/// returns NaN; "either side is constant" means every value equal, as SciPy tests it, not a zero sum of squares after
/// subtracting an inexact mean).
/// </remarks>
public sealed class RegressionReport
{
    private RegressionReport(double mse, double mae, double r2, double pearson, double spearman, int count)
    {
        MeanSquaredError = mse;
        MeanAbsoluteError = mae;
        R2 = r2;
        Pearson = pearson;
        Spearman = spearman;
        SampleCount = count;
    }

    /// <summary>Mean of the squared errors.</summary>
    public double MeanSquaredError { get; }

    /// <summary>Mean of the absolute errors.</summary>
    public double MeanAbsoluteError { get; }

    /// <summary>Coefficient of determination: 1 − (residual sum of squares) / (total sum of squares).</summary>
    public double R2 { get; }

    /// <summary>Pearson's correlation of true and predicted values (NaN when either is constant).</summary>
    public double Pearson { get; }

    /// <summary>Spearman's rank correlation, ties ranked by their average (NaN when either side is constant).</summary>
    public double Spearman { get; }

    /// <summary>The number of samples.</summary>
    public int SampleCount { get; }

    /// <summary>Scores <paramref name="predicted"/> against <paramref name="actual"/>.</summary>
    /// <param name="actual">The true values.</param>
    /// <param name="predicted">The predictions, same length and order.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">Empty or different-length lists, or a value that is not finite.</exception>
    public static RegressionReport Create(IReadOnlyList<double> actual, IReadOnlyList<double> predicted)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(predicted);
        if (actual.Count == 0)
            throw new ArgumentException("actual is empty; a report needs at least one sample.", nameof(actual));
        if (actual.Count != predicted.Count)
            throw new ArgumentException($"actual has {actual.Count} values but predicted has {predicted.Count}; they must match sample for sample.", nameof(predicted));
        for (int i = 0; i < actual.Count; i++)
        {
            if (!double.IsFinite(actual[i]) || !double.IsFinite(predicted[i]))
                throw new ArgumentException($"Sample {i} is not finite (actual {actual[i]}, predicted {predicted[i]}).", nameof(actual));
        }
        int n = actual.Count;
        double mse = 0, mae = 0;
        for (int i = 0; i < n; i++)
        {
            double e = actual[i] - predicted[i];
            mse += e * e;
            mae += Math.Abs(e);
        }
        double mean = actual.Average();
        double total = actual.Sum(y => (y - mean) * (y - mean));
        double r2 = total == 0 ? (mse == 0 ? 1.0 : 0.0) : 1 - mse / total;
        return new RegressionReport(mse / n, mae / n, r2, Correlation(actual, predicted), Correlation(Ranks(actual), Ranks(predicted)), n);
    }

    /// <summary>The five scores, one per line: <c>mse: X</c>, <c>mae: X</c>, <c>r2: X</c>, <c>pearson: X</c>, <c>spearman: X</c> (round-trip precision, invariant culture).</summary>
    /// <returns>The text, ending with a newline.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (name, value) in new[] { ("mse", MeanSquaredError), ("mae", MeanAbsoluteError), ("r2", R2), ("pearson", Pearson), ("spearman", Spearman) })
            text.Append(name).Append(": ").Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// SciPy 1.10's <c>pearsonr</c>: NaN when either side is exactly constant, the product of the signs for two samples,
    /// else the dot product of the centred values each divided by its norm (scaled, so that values near 1e±200 neither
    /// overflow nor underflow), clamped to [−1, 1].
    /// </summary>
    private static double Correlation(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.All(v => v == x[0]) || y.All(v => v == y[0]))
            return double.NaN;
        if (x.Count == 2)
            return Math.Sign(x[1] - x[0]) * Math.Sign(y[1] - y[0]);
        var dx = Centred(x);
        var dy = Centred(y);
        double nx = Norm(dx), ny = Norm(dy), r = 0;
        for (int i = 0; i < dx.Length; i++)
            r += dx[i] / nx * (dy[i] / ny);
        return Math.Clamp(r, -1.0, 1.0);
    }

    private static double[] Centred(IReadOnlyList<double> values)
    {
        double mean = values.Average();
        return values.Select(v => v - mean).ToArray();
    }

    /// <summary>The Euclidean norm, scaled by the largest magnitude as LAPACK's <c>nrm2</c>.</summary>
    private static double Norm(double[] values)
    {
        double scale = values.Max(Math.Abs), sum = 0;
        if (scale == 0) return 0;
        foreach (var v in values)
            sum += (v / scale) * (v / scale);
        return scale * Math.Sqrt(sum);
    }

    /// <summary>Ranks from 1, ties given the mean of the ranks they span (SciPy's <c>rankdata(method="average")</c>).</summary>
    internal static double[] Ranks(IReadOnlyList<double> values)
    {
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && values[order[end + 1]] == values[order[start]])
                end++;
            double rank = (start + end) / 2.0 + 1;
            for (int j = start; j <= end; j++)
                ranks[order[j]] = rank;
            start = end + 1;
        }
        return ranks;
    }
}
