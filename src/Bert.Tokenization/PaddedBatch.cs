namespace Bert.Tokenization;

/// <summary>
/// Encoded inputs padded to one length as flat row-major (B, T) int64 arrays, the layout every runtime takes
/// (ONNX Runtime tensors here; TorchSharp tensors in <c>Bert.Core.Modeling.BertBatch</c>).
/// </summary>
public sealed class PaddedBatch
{
    private PaddedBatch(long[] inputIds, long[] tokenTypeIds, long[] attentionMask, int[] lengths, int width)
    {
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
        Lengths = lengths;
        SequenceLength = width;
    }

    /// <summary>Token ids, (B, T) row-major, padded with the pad id.</summary>
    public long[] InputIds { get; }

    /// <summary>Segment ids, (B, T) row-major, 0 on padding.</summary>
    public long[] TokenTypeIds { get; }

    /// <summary>Attention mask, (B, T) row-major, 1 on real tokens and 0 on padding.</summary>
    public long[] AttentionMask { get; }

    /// <summary>The number of real tokens of each row.</summary>
    public IReadOnlyList<int> Lengths { get; }

    /// <summary>B, the number of rows.</summary>
    public int BatchSize => Lengths.Count;

    /// <summary>T, the padded length of every row.</summary>
    public int SequenceLength { get; }

    /// <summary>
    /// Pads <paramref name="inputs"/> to <paramref name="padToLength"/>, or else to the longest input (dynamic
    /// padding), with <paramref name="padId"/>, segment 0 and mask 0.
    /// </summary>
    /// <exception cref="ArgumentException">No inputs, a null input, or an input longer than <paramref name="padToLength"/>.</exception>
    public static PaddedBatch Create(IReadOnlyList<EncodedInput> inputs, int padId, int? padToLength = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0)
            throw new ArgumentException("Cannot collate an empty list of inputs.", nameof(inputs));
        if (padId < 0)
            throw new ArgumentOutOfRangeException(nameof(padId), padId, "The pad id must be a vocabulary id (>= 0).");
        var longest = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i] ?? throw new ArgumentException($"inputs[{i}] is null.", nameof(inputs));
            longest = Math.Max(longest, input.Length);
        }
        var width = padToLength ?? longest;
        if (width < longest)
            throw new ArgumentException($"padToLength {width} is shorter than the longest input ({longest} tokens); encode with a smaller MaxSequenceLength.", nameof(padToLength));

        var rows = inputs.Count;
        var ids = new long[rows * width];
        var types = new long[rows * width];
        var mask = new long[rows * width];
        var lengths = new int[rows];
        Array.Fill(ids, padId);
        for (var r = 0; r < rows; r++)
        {
            var input = inputs[r];
            lengths[r] = input.Length;
            var offset = r * width;
            for (var t = 0; t < input.Length; t++)
            {
                ids[offset + t] = input.InputIds[t];
                types[offset + t] = input.TokenTypeIds[t];
                mask[offset + t] = input.AttentionMask[t];
            }
        }
        return new PaddedBatch(ids, types, mask, lengths, width);
    }
}
