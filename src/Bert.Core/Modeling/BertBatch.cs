using Bert.Tokenization;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Modeling;

/// <summary>
/// A batch of encoded inputs as int64 tensors of shape (B, T), ready for BertModel. Owns its tensors: dispose it.
/// </summary>
public sealed class BertBatch : IDisposable
{
    private BertBatch(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask, int[] lengths)
    {
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
        Lengths = lengths;
    }

    /// <summary>Token ids (B, T), int64, padded with the pad id.</summary>
    public Tensor InputIds { get; }

    /// <summary>Segment ids (B, T), int64, 0 on padding.</summary>
    public Tensor TokenTypeIds { get; }

    /// <summary>Attention mask (B, T), int64, 1 on real tokens and 0 on padding.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>The number of real tokens of each row.</summary>
    public IReadOnlyList<int> Lengths { get; }

    /// <summary>B, the number of rows.</summary>
    public int BatchSize => Lengths.Count;

    /// <summary>T, the padded length of every row.</summary>
    public int SequenceLength => (int)InputIds.shape[1];

    /// <summary>
    /// Stacks inputs into (B, T) tensors, T being <paramref name="padToLength"/> or else the longest input
    /// (dynamic padding). Padding uses <paramref name="padId"/>, segment 0 and mask 0.
    /// </summary>
    /// <exception cref="ArgumentException">No inputs, or an input longer than <paramref name="padToLength"/>.</exception>
    public static BertBatch Collate(IReadOnlyList<EncodedInput> inputs, int padId, int? padToLength = null)
    {
        var padded = PaddedBatch.Create(inputs, padId, padToLength);
        long[] shape = [padded.BatchSize, padded.SequenceLength];
        return new BertBatch(
            torch.tensor(padded.InputIds, shape, ScalarType.Int64),
            torch.tensor(padded.TokenTypeIds, shape, ScalarType.Int64),
            torch.tensor(padded.AttentionMask, shape, ScalarType.Int64),
            [.. padded.Lengths]);
    }

    /// <summary>
    /// The width for dynamic padding: <paramref name="longest"/> rounded up to a multiple of
    /// <paramref name="multipleOf"/>, but not beyond <paramref name="maxLength"/> (the model's positions). Few distinct
    /// widths keep the allocator's heap from fragmenting over a long run (libtorch's CPU tensors come from
    /// <c>malloc</c>): with a multiple of 8, 1000 training steps of lengths 8..128 keep a flat resident set, while
    /// every length its own shape grows it by about 450 MB (bench/Bert.Benchmarks --mode soak).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A non-positive argument, or <paramref name="longest"/> above <paramref name="maxLength"/>.</exception>
    public static int PaddedLength(int longest, int multipleOf, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(longest);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(multipleOf);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(longest, maxLength);
        long rounded = (longest + (long)multipleOf - 1) / multipleOf * multipleOf;
        return (int)Math.Min(rounded, maxLength);
    }

    /// <summary>Disposes the three tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        TokenTypeIds.Dispose();
        AttentionMask.Dispose();
    }
}
