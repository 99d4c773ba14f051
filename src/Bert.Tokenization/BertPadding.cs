namespace Bert.Tokenization;

/// <summary>How encoded inputs are padded.</summary>
public enum BertPadding
{
    /// <summary>No padding when encoding; a batch pads to its own longest sequence (dynamic padding).</summary>
    None = 0,

    /// <summary>Every input is padded with <c>[PAD]</c> to <see cref="BertIndexerOptions.MaxSequenceLength"/>.</summary>
    MaxLength = 1,
}
