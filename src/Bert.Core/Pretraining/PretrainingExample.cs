namespace Bert.Core.Pretraining;

/// <summary>
/// One pretraining sequence, unpadded: <c>[CLS] A [SEP] B [SEP]</c> after masking, its segment ids, the positions
/// chosen for prediction with the original pieces there, and whether B is a random sentence.
/// </summary>
public sealed class PretrainingExample
{
    internal PretrainingExample(int[] inputIds, int[] tokenTypeIds, int[] maskedPositions, int[] maskedLabels, bool isRandomNext)
    {
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        MaskedPositions = maskedPositions;
        MaskedLabels = maskedLabels;
        IsRandomNext = isRandomNext;
    }

    /// <summary>The ids after masking, <c>[CLS]</c> and <c>[SEP]</c> included.</summary>
    public int[] InputIds { get; }

    /// <summary>0 for <c>[CLS]</c>, A and the first <c>[SEP]</c>; 1 for B and the last <c>[SEP]</c>.</summary>
    public int[] TokenTypeIds { get; }

    /// <summary>The positions chosen for prediction, ascending.</summary>
    public int[] MaskedPositions { get; }

    /// <summary>The original id at each of <see cref="MaskedPositions"/> (what the model must predict).</summary>
    public int[] MaskedLabels { get; }

    /// <summary>True when B comes from another document (next-sentence label 1), false when it follows A (label 0).</summary>
    public bool IsRandomNext { get; }

    /// <summary>The number of tokens.</summary>
    public int Length => InputIds.Length;
}
