using Bert.Tokenization;

namespace Bert.Classification;

/// <summary>Cuts encoded single texts to a shorter limit than the indexer's own, keeping [CLS] first and [SEP] last.</summary>
internal static class InputTruncation
{
    public static EncodedInput Truncate(EncodedInput input, int maxLength, int sepId)
    {
        if (input.Length <= maxLength) return input;
        var ids = input.InputIds.AsSpan(0, maxLength).ToArray();
        ids[^1] = sepId;
        return new EncodedInput(ids, input.TokenTypeIds.AsSpan(0, maxLength).ToArray(), input.AttentionMask.AsSpan(0, maxLength).ToArray(), maxLength, truncated: true);
    }
}
