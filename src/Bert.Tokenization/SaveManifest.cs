using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
namespace Bert.Tokenization;

/// <summary>
/// The list of files a save owns, written last by Bert.Core's <c>SaveTransaction</c>: <c>bert_net_manifest.json</c> with
/// each file's name, size and SHA-256. <see cref="Resolve"/> checks a folder against it, so that a save interrupted
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

    private const int Format = 1;

    /// <summary>One owned file: its name in the folder, the temporary file it comes from while pending, size and hash.</summary>
    internal sealed record Entry(string Name, string TempName, long Size, string Sha256);

    /// <summary>
    /// The files of the save in <paramref name="directory"/> by name, checked against its manifest (a pending save is
    /// read as committed: each file from its temporary copy when that is still there); null when the folder has no
    /// manifest (written by another tool, or by an older version).
    /// </summary>
    /// <exception cref="InvalidDataException">A listed file is missing or differs from the manifest; the message names it.</exception>
    public static IReadOnlyDictionary<string, string>? Resolve(string directory)
    {
        string pending = Path.Combine(directory, PendingName);
        string manifest = Path.Combine(directory, FileName);
        bool isPending = File.Exists(pending);
        if (!isPending && !File.Exists(manifest))
            return null;
        string source = isPending ? pending : manifest;
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in Read(source))
        {
            string target = Path.Combine(directory, entry.Name);
            string temp = Path.Combine(directory, entry.TempName);
            string path = isPending && entry.TempName.Length > 0 && File.Exists(temp) ? temp : target;
            Check(path, entry, source);
            paths[entry.Name] = path;
        }
        paths[FileName] = source;
        return paths;
    }

    /// <summary>
    /// True when the save in <paramref name="directory"/> (committed or pending) lists <paramref name="name"/>; reads
    /// only the manifest, so that asking costs nothing next to <see cref="Resolve"/>, which hashes every file.
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
    public static List<Entry> Read(string path)
    {
        try
        {
            var root = JsonNode.Parse(BoundedFile.ReadAllText(path, 16 << 20, "save manifest"))?.AsObject()
                ?? throw new InvalidDataException($"'{path}' is empty; expected a Bert.NET save manifest.");
            if (root["format"]?.GetValue<int>() != Format)
                throw new InvalidDataException($"'{path}': unknown manifest format '{root["format"]}'; expected {Format}.");
            var files = root["files"]?.AsArray() ?? throw new InvalidDataException($"'{path}' has no 'files' list.");
            var entries = new List<Entry>();
            foreach (var node in files)
            {
                var o = node?.AsObject() ?? throw new InvalidDataException($"'{path}': a 'files' entry is not an object.");
                string name = o["name"]?.GetValue<string>() ?? throw new InvalidDataException($"'{path}': a 'files' entry has no name.");
                if (!IsPlainName(name))
                    throw new InvalidDataException($"'{path}': '{name}' is not a plain file name.");
                entries.Add(new Entry(
                    name,
                    o["temp"]?.GetValue<string>() ?? "",
                    o["size"]?.GetValue<long>() ?? throw new InvalidDataException($"'{path}': '{name}' has no size."),
                    o["sha256"]?.GetValue<string>() ?? throw new InvalidDataException($"'{path}': '{name}' has no sha256.")));
            }
            return entries;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{path}' is not a valid Bert.NET save manifest: {ex.Message}", ex);
        }
    }

    /// <summary>The manifest (or journal, with temporary names) as JSON text.</summary>
    public static string ToJson(IEnumerable<Entry> entries, bool withTemp)
    {
        var files = new JsonArray();
        foreach (var e in entries)
        {
            var o = new JsonObject { ["name"] = e.Name, ["size"] = e.Size, ["sha256"] = e.Sha256 };
            if (withTemp) o["temp"] = e.TempName;
            files.Add(o);
        }
        var root = new JsonObject { ["format"] = Format, ["writer"] = "Bert.NET", ["files"] = files };
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

    private static void Check(string path, Entry entry, string manifest)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new InvalidDataException($"'{Path.Combine(Path.GetDirectoryName(path)!, entry.Name)}' is listed in '{manifest}' but missing: the save is incomplete.");
        if (info.Length != entry.Size)
            throw new InvalidDataException($"'{path}' has {info.Length} bytes but '{manifest}' lists {entry.Size}: the save was interrupted or the file was changed after saving.");
        string hash = Sha256Of(path);
        if (!string.Equals(hash, entry.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"'{path}' has SHA-256 {hash} but '{manifest}' lists {entry.Sha256}: the save was interrupted or the file was changed after saving.");
    }

    private static string Sha256Of(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
