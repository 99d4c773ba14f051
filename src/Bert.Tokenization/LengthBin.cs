namespace Bert.Tokenization;

/// <summary>One bar of a length histogram: texts whose piece count lies in [<see cref="From"/>, <see cref="To"/>].</summary>
/// <param name="From">The smallest piece count of the bin (inclusive).</param>
/// <param name="To">The largest piece count of the bin (inclusive).</param>
/// <param name="Count">How many texts fall in the bin.</param>
public readonly record struct LengthBin(int From, int To, int Count);
