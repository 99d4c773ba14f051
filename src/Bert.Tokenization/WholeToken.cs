namespace Bert.Tokenization;

/// <summary>A token kept whole in texts: its id, and whether a lower-casing indexer also matches it in another case (Hugging Face's non-special added tokens).</summary>
internal sealed record WholeToken(string Token, int Id, bool IgnoreCaseWhenLowerCasing)
{
    /// <summary>The special tokens (with <see cref="TokenizerSemantics.HuggingFace"/>) and the added tokens, each with its id.</summary>
    public static List<WholeToken> Of(BertIndexerOptions options, Func<string, int> idOf)
    {
        var special = options.SpecialTokens();
        var tokens = new Dictionary<string, WholeToken>(StringComparer.Ordinal);
        if (options.Semantics == TokenizerSemantics.HuggingFace)
        {
            foreach (var token in special)
                tokens[token] = new WholeToken(token, idOf(token), IgnoreCaseWhenLowerCasing: false);
        }
        if (options is WordPieceIndexerOptions { AddedTokens: var added })
        {
            foreach (var token in added)
                tokens.TryAdd(token.Content, new WholeToken(token.Content, idOf(token.Content), IgnoreCaseWhenLowerCasing: !token.Special));
        }
        return [.. tokens.Values];
    }
}
