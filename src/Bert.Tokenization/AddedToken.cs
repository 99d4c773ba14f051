namespace Bert.Tokenization;

/// <summary>
/// A token added to a vocabulary, as Hugging Face's <c>added_tokens.json</c> or <c>added_tokens_decoder</c> lists it:
/// each occurrence in a text stays one token. A <paramref name="Special"/> token is matched exactly as written; any other
/// also in another case when the indexer lower-cases (as transformers matches normalized added tokens).
/// </summary>
/// <param name="Content">The token's text.</param>
/// <param name="Special">Whether it is a special token (matched in its own case only).</param>
public sealed record AddedToken(string Content, bool Special = false);
