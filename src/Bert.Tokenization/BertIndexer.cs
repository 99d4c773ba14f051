namespace Bert.Tokenization;

/// <summary>
/// Loads the right <see cref="IBertIndexer"/> for a checkpoint's tokenizer file or folder: a SentencePiece
/// <c>*.model</c> gives a <see cref="SentencePieceIndexer"/>, a WordPiece <c>vocab.txt</c> a <see cref="WordPieceIndexer"/>,
/// a Hugging Face folder whose <c>tokenizer_config.json</c> asks for MeCab a <see cref="BertJapaneseIndexer"/>.
/// </summary>
public static class BertIndexer
{
    /// <summary>
    /// Loads from a file (<c>*.txt</c> is read as WordPiece, anything else as SentencePiece) or a folder (a
    /// <c>tokenizer_config.json</c> with <c>word_tokenizer_type</c> <c>mecab</c> or <c>tokenizer_class</c>
    /// <c>BertJapaneseTokenizer</c>: see <see cref="BertJapaneseIndexer.Load"/>, which needs
    /// <see cref="BertJapaneseIndexerOptions.MeCabDictionaryFolder"/> unless the configuration names a folder; else,
    /// loaded without <paramref name="options"/>, as a Hugging Face folder: its single <c>*.model</c>, <c>vocab.txt</c>
    /// or <c>tokenizer.json</c> with the settings of <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c> and
    /// <c>added_tokens.json</c> (<c>do_lower_case</c>, <c>strip_accents</c>, <c>tokenize_chinese_chars</c>,
    /// <c>model_max_length</c>, special and added tokens kept whole) and Hugging Face's defaults where they are silent
    /// (a <c>vocab.txt</c> is lower-cased, as <c>BertTokenizer</c> does); with <paramref name="options"/>, its single
    /// <c>*.model</c>, else its <c>vocab.txt</c>, with those options only). The shared properties of <paramref name="options"/> apply to either
    /// kind; <see cref="BertIndexerOptions.UnkToken"/> and kind-specific settings apply only when the options are of
    /// the matching type (otherwise the kind's default unknown token is used). A folder saved by Bert.NET is read from the
    /// save its manifest lists, each file checked against its size and SHA-256 first (a save committed meanwhile changes
    /// nothing that is read).
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing loadable at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">A file of a saved folder is missing or differs from its manifest (the message names it), or a file is malformed.</exception>
    public static IBertIndexer Load(string path, BertIndexerOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            // A Bert.NET save is read from one verified snapshot of it (a save committed meanwhile changes nothing read,
            // a file changed after saving is refused by name); a folder without a save manifest is read as it is.
            using var snapshot = SaveSnapshot.Take(path);
            if (BertJapaneseConfig.IsMeCab(path))
            {
                // Added tokens are not read with MeCab: a folder that has them is refused (as the Hugging Face loader does), not tokenized without them.
                var japanese = BertJapaneseIndexer.Load(path, options as BertJapaneseIndexerOptions ?? options?.CopySharedTo(new BertJapaneseIndexerOptions()));
                return HuggingFaceTokenizerFolder.CheckAddedTokens(path, japanese, "a MeCab folder");
            }
            var models = SaveManifest.Scan(path, "*.model");
            if (models.Length > 1)
                throw new ArgumentException($"'{path}' holds several SentencePiece models ({string.Join(", ", models.Select(Path.GetFileName))}); pass the file.", nameof(path));
            if (options is null)
                return HuggingFaceTokenizerFolder.Load(path, snapshot is not null ? snapshot.PathOf : HuggingFaceTokenizerFolder.PlainFolder(path));
            var file = models.Length == 1 ? models[0]
                : SaveSnapshot.FileIn(path, "vocab.txt")
                ?? throw new FileNotFoundException($"'{path}' holds neither a SentencePiece *.model nor a WordPiece vocab.txt.", Path.Combine(path, "vocab.txt"));
            return LoadFile(file, options);
        }
        if (!File.Exists(path))
            throw new FileNotFoundException($"Tokenizer file '{path}' not found.", path);
        return LoadFile(path, options);
    }

    /// <summary>Loads a tokenizer file: <c>*.txt</c> as WordPiece, anything else as SentencePiece.</summary>
    private static IBertIndexer LoadFile(string file, BertIndexerOptions? options)
    {
        if (file.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
        {
            var wordPiece = options as WordPieceIndexerOptions ?? options?.CopySharedTo(new WordPieceIndexerOptions());
            return WordPieceIndexer.Load(file, wordPiece);
        }
        var sentencePiece = options as SentencePieceIndexerOptions ?? options?.CopySharedTo(new SentencePieceIndexerOptions());
        return SentencePieceIndexer.Load(file, sentencePiece);
    }
}
