using System.IO.Enumeration;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
namespace Bert.Tokenization;

/// <summary>
/// The list of files a save owns, written last by Bert.Core's <c>SaveTransaction</c>: <c>bert_net_manifest.json</c> with
/// the kind of save that wrote it and each file's name, size and SHA-256. <see cref="SaveSnapshot"/> checks a folder against it, so that a save interrupted
/// between files, or a file changed afterwards, is reported by name instead of loading mixed weights. It lives here,
/// in the package without native code, so that every loader (Bert.Core, Bert.Classification, Bert.Serving) checks
/// saves the same way.
/// </summary>
internal static class SaveManifest
{
    /// <summary>The manifest's file name.</summary>
    public const string FileName = "bert_net_manifest.json";

    /// <summary>The journal of a save being committed (its files are renamed into place after it is written).</summary>
    public const string PendingName = ".bert_net_manifest.pending.json";

    /// <summary>The start of every temporary name: <c>.bert_net-TOKEN.NAME</c>, TOKEN being 12 lower-case hex digits.</summary>
    public const string TempPrefix = ".bert_net-";

    /// <summary>The length of the TOKEN of a temporary name.</summary>
    public const int TempTokenLength = 12;

    /// <summary>The largest manifest or journal read (16 MiB).</summary>
    public const int MaxManifestBytes = 16 << 20;

    private const int Format = 1;

    private static readonly Regex TemporaryName = new(@"^\.bert_net-[0-9a-f]{12}\..+$", RegexOptions.CultureInvariant | RegexOptions.Singleline);

    /// <summary>One owned file: its name in the folder, the temporary file it comes from while pending, size and hash.</summary>
    internal sealed record Entry(string Name, string TempName, long Size, string Sha256);

    /// <summary>
    /// A manifest or journal: the kind of save that wrote it (null in manifests of versions that did not record it),
    /// its files, and (journal only) the files of the previous save of the same kind that the commit removes when
    /// they are still exactly as that save wrote them.
    /// </summary>
    internal sealed record Contents(string? Kind, List<Entry> Files, List<Entry> Obsolete);

    /// <summary>A fresh temporary name for the file <paramref name="name"/>: <c>.bert_net-TOKEN.NAME</c>.</summary>
    public static string NewTempName(string name) => TempPrefix + Guid.NewGuid().ToString("N")[..TempTokenLength] + "." + name;

    /// <summary>
    /// True only for names that a save generates for its temporaries (<c>.bert_net-</c>, 12 lower-case hex digits, a
    /// dot and the file's name): a user's <c>.bert_net-mine.txt</c> is not one.
    /// </summary>
    public static bool IsTemporaryName(string fileName) => TemporaryName.IsMatch(fileName);

    /// <summary>
    /// The files of <paramref name="folder"/> whose names match <paramref name="searchPattern"/> as a folder scan of a
    /// loader must see them: never a save's temporary, and while a save is pending (journal written, renames not
    /// finished) each of its files at its temporary copy, as <see cref="SaveSnapshot"/> reads it. Sorted by name.
    /// </summary>
    public static string[] Scan(string folder, string searchPattern)
    {
        // Under a loader's snapshot of this folder, the save it verified (not a save committed or pending since).
        if (SaveSnapshot.Of(folder) is { } snapshot)
            return snapshot.Scan(searchPattern);
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(folder, searchPattern))
        {
            string name = Path.GetFileName(path);
            if (!IsTemporaryName(name)) found[name] = path;
        }
        string pending = Path.Combine(folder, PendingName);
        if (File.Exists(pending))
        {
            foreach (var e in ReadContents(pending).Files)
            {
                string temp = Path.Combine(folder, e.TempName);
                if (e.TempName.Length > 0 && File.Exists(temp) && FileSystemName.MatchesSimpleExpression(searchPattern, e.Name))
                    found[e.Name] = temp;
            }
        }
        return [.. found.Values];
    }

    /// <summary>
    /// True when the save in <paramref name="directory"/> (committed or pending) lists <paramref name="name"/>; reads
    /// only the manifest, so that asking costs nothing next to <see cref="SaveSnapshot.Take"/>, which hashes every file.
    /// </summary>
    public static bool Lists(string directory, string name)
    {
        string pending = Path.Combine(directory, PendingName);
        string manifest = Path.Combine(directory, FileName);
        string? source = File.Exists(pending) ? pending : File.Exists(manifest) ? manifest : null;
        return source is not null && Read(source).Any(e => e.Name == name);
    }

    /// <summary>The entries of a manifest or journal.</summary>
    /// <exception cref="InvalidDataException">It is not one.</exception>
    public static List<Entry> Read(string path) => ReadContents(path).Files;

    /// <summary>The kind, entries and obsolete entries of a manifest or journal.</summary>
    /// <exception cref="InvalidDataException">It is not one.</exception>
    public static Contents ReadContents(string path)
    {
        // Read from the folder itself, never through a loader's snapshot: a save decides by the manifest that is there.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        string source = $"save manifest '{path}'";
        return ParseContents(BoundedFile.DecodeUtf8(BoundedFile.ReadAllBytes(stream, MaxManifestBytes, source), source), path);
    }

    /// <summary>The kind, entries and obsolete entries of the text of a manifest or journal read from <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">It is not one.</exception>
    public static Contents ParseContents(string text, string path)
    {
        try
        {
            var root = JsonNode.Parse(text)?.AsObject()
                ?? throw new InvalidDataException($"'{path}' is empty; expected a Bert.NET save manifest.");
            if (root["format"]?.GetValue<int>() != Format)
                throw new InvalidDataException($"'{path}': unknown manifest format '{root["format"]}'; expected {Format}.");
            var files = root["files"]?.AsArray() ?? throw new InvalidDataException($"'{path}' has no 'files' list.");
            string? kind = root["kind"]?.GetValue<string>();
            if (kind is { Length: 0 })
                throw new InvalidDataException($"'{path}': 'kind' is empty.");
            var obsolete = root["obsolete"] is JsonArray old ? Entries(old, path) : [];
            return new Contents(kind, Entries(files, path), obsolete);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{path}' is not a valid Bert.NET save manifest: {ex.Message}", ex);
        }
    }

    private static List<Entry> Entries(JsonArray files, string path)
    {
        var entries = new List<Entry>();
        foreach (var node in files)
        {
            var o = node?.AsObject() ?? throw new InvalidDataException($"'{path}': a 'files' entry is not an object.");
            string name = o["name"]?.GetValue<string>() ?? throw new InvalidDataException($"'{path}': a 'files' entry has no name.");
            if (!IsPlainName(name))
                throw new InvalidDataException($"'{path}': '{name}' is not a plain file name.");
            string temp = o["temp"]?.GetValue<string>() ?? "";
            if (temp.Length > 0 && (!IsPlainName(temp) || !IsTemporaryName(temp)))
                throw new InvalidDataException($"'{path}': '{temp}' (the temporary of '{name}') is not a temporary name of a save.");
            entries.Add(new Entry(
                name,
                temp,
                o["size"]?.GetValue<long>() ?? throw new InvalidDataException($"'{path}': '{name}' has no size."),
                o["sha256"]?.GetValue<string>() ?? throw new InvalidDataException($"'{path}': '{name}' has no sha256.")));
        }
        return entries;
    }

    /// <summary>
    /// The manifest as JSON text: the kind of save (omitted when null: finishing a journal of an earlier version) and
    /// its files; for the journal (<paramref name="withTemp"/>) also each file's temporary name and the
    /// <paramref name="obsolete"/> files of the previous save.
    /// </summary>
    public static string ToJson(string? kind, IEnumerable<Entry> entries, bool withTemp, IEnumerable<Entry>? obsolete = null)
    {
        JsonArray List(IEnumerable<Entry> list, bool temp)
        {
            var files = new JsonArray();
            foreach (var e in list)
            {
                var o = new JsonObject { ["name"] = e.Name, ["size"] = e.Size, ["sha256"] = e.Sha256 };
                if (temp) o["temp"] = e.TempName;
                files.Add(o);
            }
            return files;
        }
        var root = new JsonObject { ["format"] = Format, ["writer"] = "Bert.NET" };
        if (kind is not null) root["kind"] = kind;
        root["files"] = List(entries, withTemp);
        if (withTemp) root["obsolete"] = List(obsolete ?? [], false);
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>True when the file at <paramref name="path"/> has the entry's size and hash.</summary>
    public static bool Matches(string path, Entry entry)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length != entry.Size) return false;
        return string.Equals(Sha256Of(path), entry.Sha256, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether a name is a plain file name in the folder (no separators, not '.' or '..').</summary>
    public static bool IsPlainName(string name) =>
        name.Length > 0 && name is not ("." or "..") && name.IndexOfAny(['/', '\\', '\0']) < 0 && name.IndexOfAny(Path.GetInvalidFileNameChars()) < 0;

    private static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
