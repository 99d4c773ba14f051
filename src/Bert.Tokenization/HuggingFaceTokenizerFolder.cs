using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bert.Tokenization;

/// <summary>
/// Reads and writes the tokenizer files of a Hugging Face model folder: <c>vocab.txt</c> (WordPiece) or a
/// SentencePiece model (<c>spiece.model</c>, <c>tokenizer.model</c>, any <c>*.model</c>), <c>tokenizer.json</c> when it
/// is the only tokenizer file and its model is WordPiece, and the settings in <c>tokenizer_config.json</c> and
/// <c>special_tokens_map.json</c> (<c>do_lower_case</c>, <c>strip_accents</c>, <c>tokenize_chinese_chars</c>,
/// <c>model_max_length</c>, special tokens). Without <c>tokenizer_config.json</c> a <c>vocab.txt</c> is lower-cased, as
/// Hugging Face's <c>BertTokenizer</c> does by default, so an uncased model is never tokenized cased by accident.
/// </summary>
internal static class HuggingFaceTokenizerFolder
{
    public const string ConfigFile = "tokenizer_config.json";
    public const string SpecialTokensFile = "special_tokens_map.json";
    public const string FastTokenizerFile = "tokenizer.json";
    public const string VocabFile = "vocab.txt";
    public const string SentencePieceFile = "spiece.model";
    public const string AddedTokensFile = "added_tokens.json";

    /// <summary>
    /// Loads the tokenizer of a folder. <paramref name="pathOf"/> gives the path of a file of the folder, or null
    /// when it has none (a saved folder resolves names through its manifest); <paramref name="fallbackLowerCase"/> sets
    /// lower-casing for folders that have no <c>tokenizer_config.json</c> (older Bert.NET saves).
    /// </summary>
    /// <remarks>
    /// As Hugging Face's tokenizers, the special tokens and the added tokens (<c>added_tokens.json</c>,
    /// <c>tokenizer_config.json</c>'s <c>added_tokens_decoder</c>, <c>tokenizer.json</c>'s <c>added_tokens</c>) written in
    /// a text stay whole (<see cref="TokenizerSemantics.HuggingFace"/>), except in a Bert.NET save that recorded
    /// otherwise. <paramref name="lowerCase"/>, when given, overrides the folder's <c>do_lower_case</c> (not in a MeCab
    /// folder, whose configuration decides).
    /// </remarks>
    public static IBertIndexer Load(string folder, Func<string, string?> pathOf, int? maxSequenceLength = null, bool? fallbackLowerCase = null, bool? lowerCase = null)
    {
        var configPath = pathOf(ConfigFile);
        var config = configPath is null ? new JsonObject() : ReadJson(configPath);
        CheckTokenizerClass(config, configPath);
        var specialPath = pathOf(SpecialTokensFile);
        var special = specialPath is null ? new JsonObject() : ReadJson(specialPath);
        var added = HuggingFaceAddedTokens.Read(config, configPath, special, specialPath, pathOf(AddedTokensFile));
        if (configPath is not null && BertJapaneseConfig.IsMeCab(folder))
        {
            // Its tokenizer_config.json decides lower-casing (BertJapaneseIndexer.Load).
            var japanese = BertJapaneseIndexer.Load(folder, maxSequenceLength is { } m ? new BertJapaneseIndexerOptions { MaxSequenceLength = m } : null);
            return added.Check(japanese, kind: "a MeCab folder");
        }

        var vocab = pathOf(VocabFile);
        var models = new[] { SentencePieceFile, "tokenizer.model", "sentencepiece.bpe.model" }.Select(pathOf).OfType<string>().ToList();
        if (models.Count == 0 && Directory.Exists(folder))
            models.AddRange(SaveManifest.Scan(folder, "*.model").Where(f => !Path.GetFileName(f).StartsWith('.') || SaveManifest.IsTemporaryName(Path.GetFileName(f))));
        models = models.Distinct(StringComparer.Ordinal).ToList();
        if (vocab is not null && models.Count > 0)
            throw new InvalidDataException($"'{folder}' holds two tokenizers, '{Path.GetFileName(vocab)}' (WordPiece) and '{Path.GetFileName(models[0])}' (SentencePiece); keep the one the model was trained with.");
        if (models.Count > 1)
            throw new InvalidDataException($"'{folder}' holds several SentencePiece models ({string.Join(", ", models.Select(Path.GetFileName))}); keep one.");

        int maxLength = maxSequenceLength ?? ModelMaxLength(config, configPath) ?? 512;
        bool? lower = lowerCase ?? Bool(config, "do_lower_case", configPath);
        // A Bert.NET save records the semantics it tokenized with (older ones had the reference's); any other folder is
        // Hugging Face's.
        bool ownSave = config["bert_net"] is JsonObject || fallbackLowerCase is not null;
        var semantics = config["bert_net"] is JsonObject saved && saved["semantics"] is not null
            ? ExactEnum.Parse<TokenizerSemantics>(Str(saved, "semantics", configPath), "bert_net.semantics", $"'{configPath}'")
            : ownSave ? TokenizerSemantics.Reference : TokenizerSemantics.HuggingFace;
        string Token(string key, string fallback) => TokenOf(config, key, configPath) ?? TokenOf(special, key, specialPath) ?? fallback;

        if (models.Count == 1)
        {
            var options = new SentencePieceIndexerOptions
            {
                MaxSequenceLength = maxLength,
                LowerCase = lower ?? fallbackLowerCase ?? false,
                ClsToken = Token("cls_token", "[CLS]"),
                SepToken = Token("sep_token", "[SEP]"),
                PadToken = Token("pad_token", "[PAD]"),
                MaskToken = Token("mask_token", "[MASK]"),
            };
            if ((TokenOf(config, "unk_token", configPath) ?? TokenOf(special, "unk_token", specialPath)) is { } unk) options.UnkToken = unk;
            options.Semantics = semantics;
            ApplyRuntime(options, config, configPath);
            return added.Check(SentencePieceIndexer.Load(models[0], options), kind: "a SentencePiece model");
        }

        var wordPiece = new WordPieceIndexerOptions
        {
            MaxSequenceLength = maxLength,
            // Hugging Face's BertTokenizer lower-cases unless told otherwise.
            LowerCase = lower ?? fallbackLowerCase ?? true,
            StripAccents = Bool(config, "strip_accents", configPath),
            TokenizeChineseChars = Bool(config, "tokenize_chinese_chars", configPath) ?? true,
            ClsToken = Token("cls_token", "[CLS]"),
            SepToken = Token("sep_token", "[SEP]"),
            PadToken = Token("pad_token", "[PAD]"),
            MaskToken = Token("mask_token", "[MASK]"),
            UnkToken = Token("unk_token", "[UNK]"),
        };
        wordPiece.Semantics = semantics;
        ApplyRuntime(wordPiece, config, configPath);
        if (config["bert_net"] is JsonObject own && PositiveInt(own, "max_input_chars_per_word", configPath) is { } chars)
            wordPiece.MaxInputCharsPerWord = chars;
        if (vocab is not null)
        {
            wordPiece.AddedTokens = added.InIdOrder();
            return added.Check(WordPieceIndexer.Load(vocab, wordPiece), kind: null);
        }
        if (pathOf(FastTokenizerFile) is { } fast)
            return LoadFast(fast, wordPiece, config.ContainsKey("do_lower_case") || lowerCase is not null, added);
        throw new FileNotFoundException($"'{folder}' holds no tokenizer: expected vocab.txt, a SentencePiece *.model or tokenizer.json.", Path.Combine(folder, VocabFile));
    }

    /// <summary>Refuses a plain folder's added tokens that <paramref name="indexer"/> (of <paramref name="kind"/>, not WordPiece) does not read.</summary>
    internal static T CheckAddedTokens<T>(string folder, T indexer, string kind)
        where T : IBertIndexer
    {
        var pathOf = PlainFolder(folder);
        var configPath = pathOf(ConfigFile);
        var specialPath = pathOf(SpecialTokensFile);
        var added = HuggingFaceAddedTokens.Read(configPath is null ? new JsonObject() : ReadJson(configPath), configPath,
            specialPath is null ? new JsonObject() : ReadJson(specialPath), specialPath, pathOf(AddedTokensFile));
        return added.Check(indexer, kind);
    }

    /// <summary>Writes the tokenizer files of <paramref name="indexer"/> through <paramref name="write"/> (name, content writer).</summary>
    /// <exception cref="NotSupportedException">The indexer is neither a <see cref="WordPieceIndexer"/> nor a <see cref="SentencePieceIndexer"/>.</exception>
    public static void Write(IBertIndexer indexer, Action<string, Action<Stream>> write)
    {
        if (indexer is BertJapaneseIndexer japanese)
        {
            japanese.WriteFiles(write);
            return;
        }
        var config = new JsonObject();
        BertIndexerOptions options;
        switch (indexer)
        {
            case WordPieceIndexer wp:
            {
                var o = wp.Options;
                options = o;
                var text = new StringBuilder();
                for (int i = 0; i < wp.FileVocabSize; i++) text.Append(wp.IdToPiece(i)).Append('\n');
                write(VocabFile, s => s.Write(new UTF8Encoding(false).GetBytes(text.ToString())));
                var (addedTokens, decoder) = HuggingFaceAddedTokens.ToJson(wp, o.AddedTokens);
                write(AddedTokensFile, s => s.Write(Encoding.UTF8.GetBytes(addedTokens.ToJsonString(JsonWriteOptions))));
                if (decoder.Count > 0) config["added_tokens_decoder"] = decoder;
                config["tokenizer_class"] = "BertTokenizer";
                config["do_lower_case"] = o.LowerCase;
                config["strip_accents"] = o.StripAccents is { } strip ? JsonValue.Create(strip) : null;
                config["tokenize_chinese_chars"] = o.TokenizeChineseChars;
                config["unk_token"] = o.UnkToken;
                break;
            }
            case SentencePieceIndexer sp:
            {
                var o = sp.Options;
                options = o;
                write(SentencePieceFile, s => s.Write(sp.ModelBytes));
                // No tokenizer_class: no Python tokenizer class reproduces spm_encode with [CLS]/[SEP] exactly, and a
                // near match would tokenize silently differently. Python users read spiece.model with sentencepiece.
                config["do_lower_case"] = o.LowerCase;
                config["unk_token"] = o.UnkToken;
                break;
            }
            default:
                throw new NotSupportedException($"{indexer.GetType().Name} cannot be saved as a Hugging Face tokenizer folder.");
        }
        config["model_max_length"] = options.MaxSequenceLength;
        config["cls_token"] = options.ClsToken;
        config["sep_token"] = options.SepToken;
        config["pad_token"] = options.PadToken;
        config["mask_token"] = options.MaskToken;
        var own = new JsonObject
        {
            ["tokenizer"] = indexer is WordPieceIndexer ? "wordpiece" : "sentencepiece",
            ["padding"] = options.Padding.ToString(),
            ["return_pieces"] = options.ReturnPieces,
            ["semantics"] = options.Semantics.ToString(),
        };
        if (options is WordPieceIndexerOptions w) own["max_input_chars_per_word"] = w.MaxInputCharsPerWord;
        config["bert_net"] = own;
        var json = JsonWriteOptions;
        write(ConfigFile, s => s.Write(Encoding.UTF8.GetBytes(config.ToJsonString(json))));
        var special = new JsonObject
        {
            ["cls_token"] = options.ClsToken,
            ["sep_token"] = options.SepToken,
            ["pad_token"] = options.PadToken,
            ["mask_token"] = options.MaskToken,
            ["unk_token"] = options.UnkToken,
        };
        write(SpecialTokensFile, s => s.Write(Encoding.UTF8.GetBytes(special.ToJsonString(json))));
    }

    private static readonly JsonSerializerOptions JsonWriteOptions = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static void ApplyRuntime(BertIndexerOptions options, JsonObject config, string? path)
    {
        if (config["bert_net"] is not JsonObject own) return;
        if (own["padding"] is { } padding)
            options.Padding = ExactEnum.Parse<BertPadding>(Str(own, "padding", path), "bert_net.padding", $"'{path}'");
        if (own["return_pieces"] is { } pieces) options.ReturnPieces = pieces.GetValue<bool>();
    }

    /// <summary>tokenizer.json with a WordPiece model: its vocabulary (ids 0..n-1) and BertNormalizer settings.</summary>
    private static WordPieceIndexer LoadFast(string path, WordPieceIndexerOptions options, bool configSaysCase, HuggingFaceAddedTokens added)
    {
        var root = ReadJson(path);
        added.AddFastTokenizerList(root["added_tokens"], path);
        var model = root["model"] as JsonObject ?? throw new InvalidDataException($"'{path}' has no 'model' object.");
        if (Str(model, "type", path) is not "WordPiece")
            throw new InvalidDataException($"'{path}': the model is '{model["type"]}', not WordPiece; only WordPiece tokenizer.json files are read (give vocab.txt or a SentencePiece model).");
        if (Str(model, "continuing_subword_prefix", path) is { } prefix && prefix != "##")
            throw new InvalidDataException($"'{path}': continuing_subword_prefix is '{prefix}'; expected '##'.");
        var vocab = model["vocab"] as JsonObject ?? throw new InvalidDataException($"'{path}': model.vocab is not an object.");
        var pieces = new string?[vocab.Count];
        foreach (var (piece, idNode) in vocab)
        {
            int id = idNode?.GetValue<int>() ?? -1;
            if (id < 0 || id >= pieces.Length || pieces[id] is not null)
                throw new InvalidDataException($"'{path}': model.vocab maps '{piece}' to id {id}; expected each id 0..{pieces.Length - 1} once.");
            pieces[id] = piece;
        }
        if (PositiveInt(model, "max_input_chars_per_word", path) is { } chars) options.MaxInputCharsPerWord = chars;
        if (Str(model, "unk_token", path) is { } unk) options.UnkToken = unk;
        if (root["normalizer"] is JsonObject normalizer && Str(normalizer, "type", path) == "BertNormalizer")
        {
            if (!configSaysCase && Bool(normalizer, "lowercase", path) is { } lower) options.LowerCase = lower;
            if (options.StripAccents is null && Bool(normalizer, "strip_accents", path) is { } strip) options.StripAccents = strip;
            if (Bool(normalizer, "handle_chinese_chars", path) is { } cjk) options.TokenizeChineseChars = cjk;
        }
        var text = string.Join('\n', pieces!);
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        options.AddedTokens = added.InIdOrder();
        return added.Check(WordPieceIndexer.Load(stream, options), kind: null);
    }

    private static int? ModelMaxLength(JsonObject config, string? path)
    {
        if (config["model_max_length"] is not JsonValue value) return null;
        // Hugging Face writes 1e30 for "no limit".
        double length = value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : throw new InvalidDataException($"'{path}': model_max_length is not a number.");
        return length is >= 2 and <= 1_000_000 ? (int)length : null;
    }

    private static string? TokenOf(JsonObject o, string key, string? path) => o[key] switch
    {
        null => null,
        JsonObject added => Str(added, "content", path) ?? throw new InvalidDataException($"'{path}': {key} has no 'content'."),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw new InvalidDataException($"'{path}': {key} is {other.ToJsonString()}; expected a token string."),
    };

    private static string? Str(JsonObject o, string key, string? path) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        var other => throw new InvalidDataException($"'{path}': {key} is {other.ToJsonString()}; expected a string."),
    };

    private static int? PositiveInt(JsonObject o, string key, string? path) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out int n) && n > 0 => n,
        var other => throw new InvalidDataException($"'{path}': {key} is {other.ToJsonString()}; expected a positive whole number."),
    };

    private static bool? Bool(JsonObject o, string key, string? path) => o[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        var other => throw new InvalidDataException($"'{path}': {key} is {other.ToJsonString()}; expected true, false or null."),
    };

    /// <summary>
    /// The <c>tokenizer_class</c> values whose folders this loader reproduces: BERT's WordPiece tokenizers (slow and
    /// fast, also under DistilBERT's and ELECTRA's names), the Japanese MeCab one, and <c>PreTrainedTokenizerFast</c>
    /// of a folder that has only <c>tokenizer.json</c>.
    /// </summary>
    internal static IReadOnlyList<string> SupportedTokenizerClasses { get; } =
    [
        "BertTokenizer", "BertTokenizerFast", "BertJapaneseTokenizer", "DistilBertTokenizer", "DistilBertTokenizerFast",
        "ElectraTokenizer", "ElectraTokenizerFast", "PreTrainedTokenizerFast",
    ];

    /// <summary>Refuses a <c>tokenizer_class</c> that is not a string, or names a tokenizer this loader does not reproduce (absent: BERT's).</summary>
    private static void CheckTokenizerClass(JsonObject config, string? path)
    {
        if (!config.TryGetPropertyValue("tokenizer_class", out var node) || node is null)
            return;
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.String)
            throw new InvalidDataException($"'{path}': tokenizer_class is {node.ToJsonString()}; expected the name of a tokenizer class, e.g. \"BertTokenizer\".");
        string name = value.GetValue<string>();
        if (!SupportedTokenizerClasses.Contains(name, StringComparer.Ordinal))
            throw new InvalidDataException($"'{path}': tokenizer_class '{name}' is not a tokenizer this library reproduces ({string.Join(", ", SupportedTokenizerClasses)}).");
    }

    internal static JsonObject ReadJson(string path)
    {
        try
        {
            return JsonNode.Parse(BoundedFile.ReadAllText(path, BoundedFile.MaxJsonBytes, "tokenizer settings"))?.AsObject() ?? throw new InvalidDataException($"'{path}' is empty.");
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"'{path}' is not a JSON object: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// A path function over a folder without a manifest: the file when it exists, or, while a save into the folder is
    /// pending, its temporary copy (<see cref="SaveManifest.Scan"/>).
    /// </summary>
    public static Func<string, string?> PlainFolder(string folder) =>
        name => SaveManifest.Scan(folder, name).FirstOrDefault(p => Path.GetFileName(p) == name || SaveManifest.IsTemporaryName(Path.GetFileName(p)));
}
