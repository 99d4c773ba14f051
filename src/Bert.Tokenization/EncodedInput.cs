namespace Bert.Tokenization;

/// <summary>
/// One text (or text pair) ready for BERT: <c>[CLS] a [SEP] (b [SEP])</c> as ids, segment ids and attention mask,
/// all of the same length (the real tokens, plus padding when the indexer pads to the maximum length).
/// </summary>
public sealed class EncodedInput
{
    /// <summary>Creates an encoded input; the three arrays must have the same length.</summary>
    /// <param name="inputIds">Token ids, padding included.</param>
    /// <param name="tokenTypeIds">Segment ids: 0 for <c>[CLS] a [SEP]</c> and padding, 1 for <c>b [SEP]</c>.</param>
    /// <param name="attentionMask">1 for real tokens, 0 for padding.</param>
    /// <param name="length">The number of real tokens (the rest is padding).</param>
    /// <param name="pieces">The pieces of the real tokens, when requested.</param>
    /// <param name="truncated">True when pieces were cut to fit the maximum length.</param>
    public EncodedInput(int[] inputIds, int[] tokenTypeIds, int[] attentionMask, int length,
        IReadOnlyList<string>? pieces = null, bool truncated = false)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(tokenTypeIds);
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (tokenTypeIds.Length != inputIds.Length || attentionMask.Length != inputIds.Length)
            throw new ArgumentException($"InputIds ({inputIds.Length}), TokenTypeIds ({tokenTypeIds.Length}) and AttentionMask ({attentionMask.Length}) must have the same length.", nameof(tokenTypeIds));
        if (length < 0 || length > inputIds.Length)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Length must be between 0 and {inputIds.Length}.");
        if (pieces is not null && pieces.Count != length)
            throw new ArgumentException($"Pieces has {pieces.Count} entries, Length is {length}.", nameof(pieces));
        InputIds = inputIds;
        TokenTypeIds = tokenTypeIds;
        AttentionMask = attentionMask;
        Length = length;
        Pieces = pieces;
        Truncated = truncated;
    }

    /// <summary>Token ids: <c>[CLS] a [SEP] (b [SEP])</c>, then padding.</summary>
    public int[] InputIds { get; }

    /// <summary>Segment ids: 0 for the first text (with <c>[CLS]</c> and its <c>[SEP]</c>) and padding, 1 for the second.</summary>
    public int[] TokenTypeIds { get; }

    /// <summary>1 for real tokens, 0 for padding.</summary>
    public int[] AttentionMask { get; }

    /// <summary>The number of real tokens, <c>[CLS]</c> and <c>[SEP]</c> included.</summary>
    public int Length { get; }

    /// <summary>The pieces of the real tokens (special tokens included) when the options asked for them; else null.</summary>
    public IReadOnlyList<string>? Pieces { get; }

    /// <summary>True when pieces were dropped to fit the maximum sequence length.</summary>
    public bool Truncated { get; }

    /// <summary>
    /// This input cut to <paramref name="maxLength"/> positions as the indexer would have cut it with that limit:
    /// a single text keeps its head, a pair is cut longest-first (<c>[CLS]</c> and every <c>[SEP]</c> stay); padding
    /// is dropped. Returns this instance when it already fits.
    /// </summary>
    /// <param name="maxLength">The limit, special tokens included: at least 2 for a single text, 3 for a pair.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is too small for the special tokens.</exception>
    public EncodedInput Truncate(int maxLength)
    {
        if (Length <= maxLength && InputIds.Length == Length)
            return this;
        // [CLS] a [SEP] (b [SEP]): segment 1 starts after the first [SEP].
        int secondStart = Array.IndexOf(TokenTypeIds, 1, 0, Length);
        bool pair = secondStart > 0;
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, pair ? 3 : 2);
        int lengthA = (pair ? secondStart : Length) - 2;
        int? lengthB = pair ? Length - secondStart - 1 : null;
        var (keepA, keepB) = BertInputAssembler.Fit(lengthA, lengthB, maxLength);
        // Positions kept: [CLS] + a's head + [SEP] (+ b's head + [SEP]).
        var keep = Enumerable.Range(0, 1 + keepA).Append(1 + lengthA);
        if (pair)
            keep = keep.Concat(Enumerable.Range(secondStart, keepB)).Append(Length - 1);
        var positions = keep.ToArray();
        return new EncodedInput(
            positions.Select(p => InputIds[p]).ToArray(), positions.Select(p => TokenTypeIds[p]).ToArray(),
            positions.Select(p => AttentionMask[p]).ToArray(), positions.Length, Pieces is null ? null : positions.Select(p => Pieces[p]).ToArray(),
            Truncated || positions.Length < Length);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        Pieces is null ? string.Join(' ', InputIds.Take(Length)) : string.Join(' ', Pieces);
}
