using Bert.Core.Modeling;
using Bert.Core.Training;
using Bert.Tokenization;
using static TorchSharp.torch;

namespace Bert.Core.Pretraining;

/// <summary>
/// Pretraining examples collated to int64 tensors by the one collator of Bert.NET (<see cref="BertBatch.Collate"/>), padded
/// to the longest example of the batch rounded up to a multiple of 8 (<see cref="BertBatch.PaddedLength"/>, as in
/// fine-tuning: few distinct shapes keep memory flat over long runs). Dispose it to free the tensors.
/// </summary>
public sealed class PretrainingBatch : IDisposable
{
    private PretrainingBatch(IReadOnlyList<PretrainingExample> examples, Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask,
        Tensor maskedPositions, Tensor maskedLabels, Tensor nextSentenceLabels)
    {
        Examples = examples;
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
        MaskedPositions = maskedPositions;
        MaskedLabels = maskedLabels;
        NextSentenceLabels = nextSentenceLabels;
    }

    /// <summary>The examples, unpadded.</summary>
    public IReadOnlyList<PretrainingExample> Examples { get; }

    /// <summary>(B, T) token ids after masking, <c>[PAD]</c> after each example's end.</summary>
    public Tensor InputIds { get; }

    /// <summary>(B, T) segment ids (0 for padding).</summary>
    public Tensor TokenTypeIds { get; }

    /// <summary>(B, T) 1 for real tokens, 0 for padding.</summary>
    public Tensor AttentionMask { get; }

    /// <summary>(M) the predicted positions as flat indices <c>b * T + t</c> into the (B * T) rows, example by example.</summary>
    public Tensor MaskedPositions { get; }

    /// <summary>(M) the original ids at <see cref="MaskedPositions"/>.</summary>
    public Tensor MaskedLabels { get; }

    /// <summary>(B) 0 when B follows A in its document, 1 when B is a random sentence (Hugging Face's convention).</summary>
    public Tensor NextSentenceLabels { get; }

    /// <summary>The number of examples.</summary>
    public int BatchSize => Examples.Count;

    /// <summary>The padded length T.</summary>
    public int SequenceLength => (int)InputIds.shape[1];

    /// <summary>The number of predicted positions M.</summary>
    public int MaskedCount => (int)MaskedPositions.shape[0];

    /// <summary>
    /// Pads <paramref name="examples"/> with <paramref name="padId"/> to their longest length rounded up to a multiple of
    /// <paramref name="padToMultipleOf"/> (never beyond <paramref name="maxLength"/>) and makes the tensors.
    /// </summary>
    /// <param name="examples">The examples (at least one).</param>
    /// <param name="padId">The <c>[PAD]</c> id.</param>
    /// <param name="maxLength">The longest allowed padded length (the generator's MaxSequenceLength).</param>
    /// <param name="padToMultipleOf">The length multiple; 1 pads to the longest example exactly. Default 8.</param>
    /// <exception cref="ArgumentException">The list is empty, or an example is longer than <paramref name="maxLength"/>.</exception>
    public static PretrainingBatch Collate(IReadOnlyList<PretrainingExample> examples, int padId, int maxLength, int padToMultipleOf = 8)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0)
            throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        var longest = examples.Max(e => e.Length);
        if (longest > maxLength)
            throw new ArgumentException($"An example has {longest} tokens, more than maxLength {maxLength}.", nameof(examples));
        var t = BertBatch.PaddedLength(longest, padToMultipleOf, maxLength);
        var inputs = examples.Select(e => new EncodedInput(e.InputIds, e.TokenTypeIds, Ones(e.Length), e.Length)).ToArray();
        var batch = BertBatch.Collate(inputs, padId, t); // its three tensors pass to this batch
        var positions = new List<long>();
        var labels = new List<long>();
        var next = new long[examples.Count];
        for (var i = 0; i < examples.Count; i++)
        {
            var e = examples[i];
            for (var k = 0; k < e.MaskedPositions.Length; k++)
            {
                positions.Add(i * (long)t + e.MaskedPositions[k]);
                labels.Add(e.MaskedLabels[k]);
            }
            next[i] = e.IsRandomNext ? 1 : 0;
        }
        return new PretrainingBatch(examples, batch.InputIds, batch.TokenTypeIds, batch.AttentionMask,
            tensor(positions.ToArray(), [positions.Count], ScalarType.Int64),
            tensor(labels.ToArray(), [labels.Count], ScalarType.Int64),
            tensor(next, [examples.Count], ScalarType.Int64));
    }

    /// <summary>The same batch with every tensor on <paramref name="device"/>'s device (new handles; dispose them).</summary>
    internal PretrainingBatch To(DevicePlacement device) => new(Examples, device.To(InputIds), device.To(TokenTypeIds),
        device.To(AttentionMask), device.To(MaskedPositions), device.To(MaskedLabels), device.To(NextSentenceLabels));

    private static int[] Ones(int length)
    {
        var ones = new int[length];
        Array.Fill(ones, 1);
        return ones;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        InputIds.Dispose();
        TokenTypeIds.Dispose();
        AttentionMask.Dispose();
        MaskedPositions.Dispose();
        MaskedLabels.Dispose();
        NextSentenceLabels.Dispose();
    }
}
