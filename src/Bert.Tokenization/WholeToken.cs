namespace Bert.Tokenization;

/// <summary>A token kept whole in texts: its id, and whether a lower-casing indexer also matches it in another case (Hugging Face's non-special added tokens).</summary>
internal sealed record WholeToken(string Token, int Id, bool IgnoreCaseWhenLowerCasing)
{
    /// <summary>The special tokens (with <see cref="BertIndexerOptions.KeepSpecialTokens"/>) and the added tokens, each with its id.</summary>
    public static List<WholeToken> Of(BertIndexerOptions options, Func<string, int> idOf)
    {
        var special = options.SpecialTokens();
        var tokens = new List<WholeToken>();
        if (options.KeepSpecialTokens)
            tokens.AddRange(special.Distinct(StringComparer.Ordinal).Select(t => new WholeToken(t, idOf(t), IgnoreCaseWhenLowerCasing: false)));
        if (options is WordPieceIndexerOptions { AddedTokens: var added })
        {
            foreach (var token in added)
            {
                if (!options.KeepSpecialTokens || Array.IndexOf(special, token) < 0)
                    tokens.Add(new WholeToken(token, idOf(token), IgnoreCaseWhenLowerCasing: Array.IndexOf(special, token) < 0));
            }
        }
        return tokens;
    }
}

