namespace Bert.Core.Pretraining;

/// <summary>
/// The resumable state of a <see cref="PretrainingBatchGenerator"/>: its random generator and how many examples it has
/// produced. Restoring it into a generator over the same corpus and options continues the same stream of batches.
/// </summary>
public sealed record PretrainingBatchGeneratorState
{
    /// <summary>The four words of the PCG64 generator (state high, state low, increment high, increment low).</summary>
    public required ulong[] Random { get; init; }

    /// <summary>The number of examples produced so far.</summary>
    public long ExamplesGenerated { get; init; }
}
