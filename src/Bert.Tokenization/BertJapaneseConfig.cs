using System.Text;
using System.Text.Json;

namespace Bert.Tokenization;

/// <summary>
/// Reads what <see cref="BertJapaneseIndexer"/> needs from a Hugging Face <c>tokenizer_config.json</c> of
/// <c>BertJapaneseTokenizer</c>: <c>word_tokenizer_type</c> (must be <c>mecab</c>), <c>subword_tokenizer_type</c>,
/// <c>do_lower_case</c>, the special tokens, and <c>mecab_kwargs</c> (<c>mecab_dic</c>, <c>mecab_option</c>'s
/// <c>-d DIR</c>, <c>normalize_text</c>).
/// </summary>
internal static class BertJapaneseConfig
{
    public const string FileName = "tokenizer_config.json";

    /// <summary>True when the folder's configuration asks for MeCab word splitting.</summary>
    public static bool IsMeCab(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!SaveSnapshot.FileExists(path))
            return false;
        try
        {
            using var document = JsonDocument.Parse(BoundedFile.ReadAllBytes(path, BoundedFile.MaxJsonBytes, "tokenizer settings"));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && ((document.RootElement.TryGetProperty("word_tokenizer_type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() == "mecab")
                    || (document.RootElement.TryGetProperty("tokenizer_class", out var cls) && cls.ValueKind == JsonValueKind.String && cls.GetString() == "BertJapaneseTokenizer"));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Applies the configuration to <paramref name="options"/> (a private copy) and returns the MeCab dictionary
    /// folder to use: <see cref="BertJapaneseIndexerOptions.MeCabDictionaryFolder"/> when set, else
    /// <c>mecab_option</c>'s <c>-d</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">The configuration is not JSON or asks for something other than MeCab with WordPiece or characters.</exception>
    /// <exception cref="ArgumentException">No dictionary folder is known (the configuration names a Python package).</exception>
    public static string Apply(string path, BertJapaneseIndexerOptions options)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(BoundedFile.ReadAllBytes(path, BoundedFile.MaxJsonBytes, "tokenizer settings"));
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}' must hold a JSON object.");

        // BertJapaneseTokenizer's defaults: word_tokenizer_type "basic", subword_tokenizer_type "wordpiece".
        var word = String(root, "word_tokenizer_type", path) ?? "basic";
        if (word != "mecab")
            throw new InvalidDataException($"'{path}' has word_tokenizer_type '{word}'; BertJapaneseIndexer supports 'mecab' only.");
        if (Bool(root, "do_word_tokenize", path) == false || Bool(root, "do_subword_tokenize", path) == false)
            throw new InvalidDataException($"'{path}' turns off do_word_tokenize or do_subword_tokenize, which BertJapaneseIndexer does not support.");
        options.SubwordType = (String(root, "subword_tokenizer_type", path) ?? "wordpiece") switch
        {
            "wordpiece" => BertJapaneseSubwordType.WordPiece,
            "character" => BertJapaneseSubwordType.Character,
            var other => throw new InvalidDataException($"'{path}' has subword_tokenizer_type '{other}'; BertJapaneseIndexer supports 'wordpiece' and 'character'."),
        };
        options.LowerCase = Bool(root, "do_lower_case", path) ?? false;
        options.ClsToken = Token(root, "cls_token", path) ?? options.ClsToken;
        options.SepToken = Token(root, "sep_token", path) ?? options.SepToken;
        options.PadToken = Token(root, "pad_token", path) ?? options.PadToken;
        options.MaskToken = Token(root, "mask_token", path) ?? options.MaskToken;
        options.UnkToken = Token(root, "unk_token", path) ?? options.UnkToken;

        // MecabTokenizer's defaults: mecab_dic "ipadic", no mecab_option, normalize_text true.
        string? dic = "ipadic";
        string? option = null;
        if (root.TryGetProperty("mecab_kwargs", out var kwargs) && kwargs.ValueKind == JsonValueKind.Object)
        {
            if (kwargs.TryGetProperty("mecab_dic", out var dicElement))
                dic = dicElement.ValueKind == JsonValueKind.Null ? null : String(kwargs, "mecab_dic", path);
            option = String(kwargs, "mecab_option", path);
            options.NormalizeText = Bool(kwargs, "normalize_text", path) ?? true;
        }
        if (options.MeCabDictionaryFolder is { Length: > 0 } folder)
            return folder;
        // MecabTokenizer puts mecab_dic's "-d" before mecab_option, and MeCab takes the last -d: a folder named in the
        // option wins whatever mecab_dic says.
        if (DictionaryOption(option, path) is { } named)
            return named;
        if (dic is not null)
            throw new ArgumentException($"'{path}' asks for the MeCab dictionary of the Python package '{dic}' (mecab_kwargs.mecab_dic), which is not downloaded here: set BertJapaneseIndexerOptions.MeCabDictionaryFolder (CLI: --mecab-dicdir) to a compiled dictionary folder, e.g. /var/lib/mecab/dic/ipadic-utf8 (Debian package mecab-ipadic-utf8) for 'ipadic', or the dicdir of the unidic-lite package for 'unidic_lite'.");
        return DictionaryOption(option, path)
            ?? throw new ArgumentException($"'{path}' names no MeCab dictionary (mecab_kwargs.mecab_option has no -d DIR): set BertJapaneseIndexerOptions.MeCabDictionaryFolder to a compiled dictionary folder.");
    }

    /// <summary>Writes the configuration of <paramref name="options"/> with <paramref name="dictionaryFolder"/> as <c>mecab_option</c>'s <c>-d</c>.</summary>
    public static void Write(Stream stream, BertJapaneseIndexerOptions options, string dictionaryFolder)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("tokenizer_class", "BertJapaneseTokenizer");
        json.WriteString("word_tokenizer_type", "mecab");
        json.WriteString("subword_tokenizer_type", options.SubwordType == BertJapaneseSubwordType.WordPiece ? "wordpiece" : "character");
        json.WriteBoolean("do_lower_case", options.LowerCase);
        json.WriteString("cls_token", options.ClsToken);
        json.WriteString("sep_token", options.SepToken);
        json.WriteString("pad_token", options.PadToken);
        json.WriteString("mask_token", options.MaskToken);
        json.WriteString("unk_token", options.UnkToken);
        json.WriteNumber("model_max_length", options.MaxSequenceLength);
        json.WriteStartObject("mecab_kwargs");
        json.WriteNull("mecab_dic");
        json.WriteString("mecab_option", $"-d \"{dictionaryFolder}\"");
        json.WriteBoolean("normalize_text", options.NormalizeText);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The <c>-d DIR</c> / <c>--dicdir=DIR</c> of a MeCab option string (shell-style quotes allowed).</summary>
    internal static string? DictionaryOption(string? option, string path)
    {
        if (string.IsNullOrWhiteSpace(option))
            return null;
        var words = SplitWords(option);
        string? folder = null;
        for (var i = 0; i < words.Count; i++)
        {
            var w = words[i];
            if (w is "-u" or "--userdic" || w.StartsWith("--userdic=", StringComparison.Ordinal) || (w.StartsWith("-u", StringComparison.Ordinal) && !w.StartsWith("--", StringComparison.Ordinal)))
                throw new InvalidDataException($"'{path}' mecab_option '{option}' adds a user dictionary, which BertJapaneseIndexer does not support.");
            if (w is "-d" or "--dicdir")
                folder = i + 1 < words.Count ? words[++i] : throw new InvalidDataException($"'{path}' mecab_option '{option}' ends with {w} and no folder.");
            else if (w.StartsWith("--dicdir=", StringComparison.Ordinal))
                folder = w["--dicdir=".Length..];
            else if (w.StartsWith("-d", StringComparison.Ordinal) && !w.StartsWith("--", StringComparison.Ordinal))
                folder = w[2..];
        }
        return folder;
    }

    private static List<string> SplitWords(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char quote = '\0';
        foreach (var c in text)
        {
            if (quote != '\0')
            {
                if (c == quote)
                    quote = '\0';
                else
                    current.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                    words.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }
        if (inWord)
            words.Add(current.ToString());
        return words;
    }

    private static string? String(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new InvalidDataException($"'{path}': {name} must be a string, not {value.ValueKind}.");
    }

    private static bool? Bool(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new InvalidDataException($"'{path}': {name} must be true or false, not {value.ValueKind}."),
        };
    }

    /// <summary>A special token written as a string or as an AddedToken object (<c>{"content": "[UNK]", ...}</c>).</summary>
    private static string? Token(JsonElement obj, string name, string path)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
            return content.GetString();
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new InvalidDataException($"'{path}': {name} must be a string or an object with \"content\", not {value.ValueKind}.");
    }
}
