using MathNet.Numerics.Distributions;

namespace Bert.Classification.Metrics;

/// <summary>
/// McNemar's exact test for a paired comparison of two classifiers on the same test set: only the samples where
/// exactly one is right count; under "equally accurate" each such sample is a fair coin flip, so the p-value is a
/// two-sided exact binomial test (MathNet.Numerics' binomial CDF). On a few hundred sentences a one-point accuracy
/// or F1 gain is usually a handful of discordant samples, and far from significant: this test shows it.
/// </summary>
public static class McNemarTest
{
    /// <summary>Compares predictions <paramref name="predA"/> and <paramref name="predB"/> against <paramref name="yTrue"/>.</summary>
    /// <param name="yTrue">The true labels.</param>
    /// <param name="predA">Classifier A's predictions, same length and order.</param>
    /// <param name="predB">Classifier B's predictions, same length and order.</param>
    /// <returns>The discordant counts and the exact two-sided p-value.</returns>
    /// <exception cref="ArgumentException">The lists are empty, of different lengths, or hold null labels.</exception>
    public static McNemarResult Exact(IReadOnlyList<string> yTrue, IReadOnlyList<string> predA, IReadOnlyList<string> predB)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(predA);
        ArgumentNullException.ThrowIfNull(predB);
        if (yTrue.Count == 0)
            throw new ArgumentException("yTrue is empty; McNemar's test needs at least one sample.", nameof(yTrue));
        if (predA.Count != yTrue.Count || predB.Count != yTrue.Count)
            throw new ArgumentException($"yTrue has {yTrue.Count} labels, predA {predA.Count}, predB {predB.Count}; all three must match sample for sample.", nameof(yTrue));
        int b = 0, c = 0;
        for (var i = 0; i < yTrue.Count; i++)
        {
            if (yTrue[i] is null || predA[i] is null || predB[i] is null)
                throw new ArgumentException($"Sample {i} has a null label.", nameof(yTrue));
            var aRight = string.Equals(yTrue[i], predA[i], StringComparison.Ordinal);
            var bRight = string.Equals(yTrue[i], predB[i], StringComparison.Ordinal);
            if (aRight && !bRight)
                b++;
            else if (!aRight && bRight)
                c++;
        }
        return Exact(b, c);
    }

    /// <summary>Compares class-index predictions (see the string overload).</summary>
    /// <param name="yTrue">The true class indices.</param>
    /// <param name="predA">Classifier A's predicted indices, same length and order.</param>
    /// <param name="predB">Classifier B's predicted indices, same length and order.</param>
    /// <returns>The discordant counts and the exact two-sided p-value.</returns>
    /// <exception cref="ArgumentException">The lists are empty or of different lengths.</exception>
    public static McNemarResult Exact(IReadOnlyList<int> yTrue, IReadOnlyList<int> predA, IReadOnlyList<int> predB)
    {
        ArgumentNullException.ThrowIfNull(yTrue);
        ArgumentNullException.ThrowIfNull(predA);
        ArgumentNullException.ThrowIfNull(predB);
        static string[] Text(IReadOnlyList<int> list) => list.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        return Exact(Text(yTrue), Text(predA), Text(predB));
    }

    /// <summary>The exact test from the discordant counts.</summary>
    /// <param name="b">Samples A got right and B got wrong.</param>
    /// <param name="c">Samples A got wrong and B got right.</param>
    /// <returns>The counts and the two-sided p-value min(1, 2 · P[X ≤ min(b, c)]), X ~ Binomial(b + c, 1/2).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public static McNemarResult Exact(int b, int c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        var n = checked(b + c);
        if (n == 0)
            return new McNemarResult(b, c, 1.0);
        var p = 2.0 * Binomial.CDF(0.5, n, Math.Min(b, c));
        return new McNemarResult(b, c, Math.Min(1.0, p));
    }
}
