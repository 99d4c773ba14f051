using System.Globalization;

namespace Bert.Classification.Metrics;

/// <summary>The outcome of McNemar's exact test comparing classifiers A and B on the same test samples.</summary>
/// <param name="B">Samples A got right and B got wrong.</param>
/// <param name="C">Samples A got wrong and B got right.</param>
/// <param name="PValue">
/// Two-sided exact p-value: the probability, if A and B were equally accurate, of a split of the B + C discordant
/// samples at least as uneven as observed (binomial with p = 1/2). 1 when there are no discordant samples.
/// </param>
public sealed record McNemarResult(int B, int C, double PValue)
{
    /// <summary>The number of samples on which exactly one of the classifiers is right: B + C.</summary>
    public int Discordant => B + C;

    /// <summary>A one-line summary, e.g. <c>McNemar exact test: A right/B wrong 12, A wrong/B right 20, p = 0.2153</c>.</summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        var p = PValue < 1e-4 ? PValue.ToString("0.##E+0", CultureInfo.InvariantCulture) : PValue.ToString("0.####", CultureInfo.InvariantCulture);
        return $"McNemar exact test: A right/B wrong {B}, A wrong/B right {C}, p = {p}";
    }
}
