using Bert.Core.Modeling;

namespace Bert.Cli;

/// <summary>The command-line names of the pooling strategies (<c>--pooling</c> of train and embed), matched exactly.</summary>
internal static class PoolingNames
{
    private static readonly (string Name, PoolingStrategy Value)[] All =
    [
        ("pooler", PoolingStrategy.Pooler),
        ("cls", PoolingStrategy.Cls),
        ("mean", PoolingStrategy.MaskedMean),
        ("max", PoolingStrategy.MaskedMax),
        ("concat", PoolingStrategy.ConcatLastLayers),
    ];

    /// <summary>The strategy named <paramref name="name"/> (ordinal match: no numbers, flags or other casing).</summary>
    /// <param name="name">The option's value.</param>
    /// <param name="allowed">The names this command accepts; null for all.</param>
    /// <exception cref="CliException">Not one of the allowed names (the message lists them).</exception>
    public static PoolingStrategy Parse(string name, IReadOnlyCollection<string>? allowed = null)
    {
        var names = allowed ?? All.Select(p => p.Name).ToArray();
        foreach (var (candidate, value) in All)
        {
            if (string.Equals(candidate, name, StringComparison.Ordinal) && names.Contains(candidate))
                return value;
        }
        throw new CliException($"--pooling must be {string.Join(", ", names.SkipLast(1))} or {names.Last()}, not '{name}'.");
    }
}
