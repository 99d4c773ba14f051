using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bert.Tokenization;

/// <summary>
/// The added tokens of a Hugging Face folder: <c>added_tokens.json</c> (token → id), <c>tokenizer_config.json</c>'s
/// <c>added_tokens_decoder</c> (id → token object) and <c>tokenizer.json</c>'s <c>added_tokens</c> (a list), each token
/// once (a token given two ids, or an id two tokens, is refused naming both files); special when any source says so or
/// when <c>additional_special_tokens</c> lists it.
/// </summary>
internal sealed class HuggingFaceAddedTokens
{
    internal sealed record Entry(string Content, int Id, bool Special, string Source);

    private readonly Dictionary<string, Entry> byContent = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Entry> byId = new();

    public IReadOnlyCollection<Entry> Entries => byContent.Values;

    /// <summary>The tokens in id order, as <see cref="WordPieceIndexerOptions.AddedTokens"/> takes them.</summary>
    public AddedToken[] InIdOrder() => byContent.Values.OrderBy(e => e.Id).Select(e => new AddedToken(e.Content, e.Special)).ToArray();

    public static HuggingFaceAddedTokens Read(JsonObject config, string? configPath, JsonObject specialMap, string? specialPath, string? addedPath)
    {
        var tokens = new HuggingFaceAddedTokens();
        if (addedPath is not null)
        {
            var file = HuggingFaceTokenizerFolder.ReadJson(addedPath);
            foreach (var (content, id) in file)
            {
                if (content.Length == 0)
                    throw new InvalidDataException($"'{addedPath}' lists an empty token.");
                tokens.Add(new Entry(content, IdOf(id, $"the id of '{content}'", addedPath), Special: false, addedPath));
            }
        }
        if (config["added_tokens_decoder"] is { } decoder)
        {
            if (decoder is not JsonObject entries)
                throw new InvalidDataException($"'{configPath}': added_tokens_decoder is {decoder.ToJsonString()}; expected an object from ids to tokens.");
            foreach (var (key, value) in entries)
            {
                if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
                    throw new InvalidDataException($"'{configPath}': added_tokens_decoder has the key '{key}'; expected a token id.");
                var token = value as JsonObject ?? throw new InvalidDataException($"'{configPath}': added_tokens_decoder[{key}] is {value?.ToJsonString() ?? "null"}; expected a token object.");
                tokens.Add(FromObject(token, id, $"added_tokens_decoder[{key}]", configPath!));
            }
        }
        var additional = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (o, path) in new[] { (config, configPath), (specialMap, specialPath) })
        {
            if (o["additional_special_tokens"] is JsonArray list)
            {
                foreach (var item in list)
                {
                    if (item is JsonValue v && v.GetValueKind() == JsonValueKind.String) additional.Add(v.GetValue<string>());
                    else if (item is JsonObject t && t["content"] is JsonValue c && c.GetValueKind() == JsonValueKind.String) additional.Add(c.GetValue<string>());
                }
            }
        }
        foreach (var content in additional)
        {
            if (tokens.byContent.TryGetValue(content, out var entry) && !entry.Special)
                tokens.Replace(entry with { Special = true });
        }
        return tokens;
    }

    /// <summary>Adds <c>tokenizer.json</c>'s <c>added_tokens</c> list.</summary>
    public void AddFastTokenizerList(JsonNode? list, string path)
    {
        if (list is null) return;
        if (list is not JsonArray entries)
            throw new InvalidDataException($"'{path}': added_tokens is {list.ToJsonString()}; expected a list of tokens.");
        foreach (var entry in entries)
        {
            var token = entry as JsonObject ?? throw new InvalidDataException($"'{path}': added_tokens holds {entry?.ToJsonString() ?? "null"}; expected an object with 'id' and 'content'.");
            Add(FromObject(token, IdOf(token["id"], "added_tokens id", path), "added_tokens", path));
        }
    }

    /// <summary>
    /// Checks that each added token has the id its file gives it in <paramref name="indexer"/>; an indexer other than
    /// WordPiece (<paramref name="kind"/>) takes no added tokens but its own special tokens.
    /// </summary>
    public T Check<T>(T indexer, string? kind)
        where T : IBertIndexer
    {
        var special = new[] { indexer.ClsId, indexer.SepId, indexer.PadId, indexer.MaskId, indexer.UnkId };
        foreach (var (content, id, _, source) in byContent.Values)
        {
            int actual = indexer.PieceToId(content);
            if (kind is not null && !(actual == id && special.Contains(id)))
                throw new InvalidDataException($"'{source}' adds the token '{content}' (id {id}); added tokens are read with a WordPiece vocab.txt, not with {kind}.");
            if (actual != id)
                throw new InvalidDataException(
                    $"'{source}' gives the added token '{content}' the id {id}, but the vocabulary gives it {actual} " +
                    "(a token that vocab.txt lacks takes the next id after its last line, in the order of the added tokens' ids).");
        }
        return indexer;
    }

    /// <summary>
    /// The files a save writes for <paramref name="indexer"/>'s added tokens: <c>added_tokens.json</c> (always, so that
    /// a foreign one left in the folder is replaced) and the <c>added_tokens_decoder</c> of <c>tokenizer_config.json</c>,
    /// which carries whether each token is special.
    /// </summary>
    public static (JsonObject AddedTokensJson, JsonObject Decoder) ToJson(WordPieceIndexer indexer, IReadOnlyList<AddedToken> added)
    {
        var file = new JsonObject();
        var decoder = new JsonObject();
        foreach (var token in added.OrderBy(t => indexer.PieceToId(t.Content)))
        {
            int id = indexer.PieceToId(token.Content);
            file[token.Content] = id;
            decoder[id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = token.Content,
                ["lstrip"] = false,
                ["normalized"] = !token.Special,
                ["rstrip"] = false,
                ["single_word"] = false,
                ["special"] = token.Special,
            };
        }
        return (file, decoder);
    }

    private static Entry FromObject(JsonObject token, int id, string where, string path)
    {
        var content = token["content"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        if (string.IsNullOrEmpty(content))
            throw new InvalidDataException($"'{path}': {where} has no 'content' string.");
        if (token["single_word"] is JsonValue single && single.GetValueKind() == JsonValueKind.True)
            throw new InvalidDataException($"'{path}': the added token '{content}' is single_word, which this library does not reproduce.");
        bool special = token["special"] is JsonValue s && s.GetValueKind() == JsonValueKind.True;
        return new Entry(content, id, special, path);
    }

    private void Add(Entry entry)
    {
        if (byContent.TryGetValue(entry.Content, out var same) && same.Id == entry.Id)
        {
            if (entry.Special && !same.Special) Replace(same with { Special = true });
            return;
        }
        var other = same ?? (byId.TryGetValue(entry.Id, out var sameId) ? sameId : null);
        if (other is not null)
            throw new InvalidDataException($"'{entry.Source}' gives the added token '{entry.Content}' the id {entry.Id}, but '{other.Source}' gives '{other.Content}' the id {other.Id}.");
        byContent[entry.Content] = entry;
        byId[entry.Id] = entry;
    }

    private void Replace(Entry entry)
    {
        byContent[entry.Content] = entry;
        byId[entry.Id] = entry;
    }

    private static int IdOf(JsonNode? node, string what, string path) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out int n) && n >= 0
            ? n
            : throw new InvalidDataException($"'{path}': {what} is {node?.ToJsonString() ?? "missing"}; expected a token id (a whole number from 0).");
}
