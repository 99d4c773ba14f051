namespace Bert.Tokenization;

/// <summary>The pieces of a text and their ids, without <c>[CLS]</c>/<c>[SEP]</c> (what <c>spm_encode</c> prints).</summary>
/// <param name="Ids">The piece ids.</param>
/// <param name="Pieces">The pieces, one per id.</param>
public sealed record TokenizedText(IReadOnlyList<int> Ids, IReadOnlyList<string> Pieces);
