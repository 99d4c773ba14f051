using static TorchSharp.torch;

namespace Bert.Core.Pretraining;

/// <summary>
/// Pretraining examples collated to int64 tensors, padded to the longest example of the batch (dynamic padding).
/// Dispose it to free the tensors.
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

    /// <summary>Pads <paramref name="examples"/> with <paramref name="padId"/> to their longest length and makes the tensors.</summary>
    /// <exception cref="ArgumentException">The list is empty.</exception>
    public static PretrainingBatch Collate(IReadOnlyList<PretrainingExample> examples, int padId)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0)
            throw new ArgumentException("A batch needs at least one example.", nameof(examples));
        var b = examples.Count;
        var t = examples.Max(e => e.Length);
        var ids = new long[b * t];
        var types = new long[b * t];
        var mask = new long[b * t];
        var positions = new List<long>();
        var labels = new List<long>();
        var next = new long[b];
        Array.Fill(ids, padId);
        for (var i = 0; i < b; i++)
        {
            var e = examples[i];
            for (var j = 0; j < e.Length; j++)
            {
                ids[i * t + j] = e.InputIds[j];
                types[i * t + j] = e.TokenTypeIds[j];
                mask[i * t + j] = 1;
            }
            for (var k = 0; k < e.MaskedPositions.Length; k++)
            {
                positions.Add(i * (long)t + e.MaskedPositions[k]);
                labels.Add(e.MaskedLabels[k]);
            }
            next[i] = e.IsRandomNext ? 1 : 0;
        }
        return new PretrainingBatch(examples,
            tensor(ids, [b, t], ScalarType.Int64),
            tensor(types, [b, t], ScalarType.Int64),
            tensor(mask, [b, t], ScalarType.Int64),
            tensor(positions.ToArray(), [positions.Count], ScalarType.Int64),
            tensor(labels.ToArray(), [labels.Count], ScalarType.Int64),
            tensor(next, [b], ScalarType.Int64));
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
