using System.Globalization;
using Bert.Tokenization;

namespace Bert.Core.Checkpoints;

/// <summary>File names of a tensor bundle: <c>prefix.index</c> and <c>prefix.data-NNNNN-of-NNNNN</c>.</summary>
internal static class TensorBundleFiles
{
    /// <summary>The index file suffix.</summary>
    public const string IndexSuffix = ".index";

    /// <summary>The index path of a prefix.</summary>
    public static string IndexPath(string prefix) => prefix + IndexSuffix;

    /// <summary>The data file of shard <paramref name="shard"/> of <paramref name="numShards"/> (TensorFlow's DataFilename).</summary>
    public static string DataPath(string prefix, long shard, long numShards) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}.data-{shard:D5}-of-{numShards:D5}");

    /// <summary>
    /// The prefix for a user-given path: the prefix itself (<c>model.ckpt-1400000</c>), the <c>.index</c> file, or a
    /// data file (<c>.data-00000-of-00001</c>).
    /// </summary>
    public static string ResolvePrefix(string path)
    {
        if (Directory.Exists(path))
            return PrefixInFolder(path);
        if (path.EndsWith(IndexSuffix, StringComparison.Ordinal))
            return path[..^IndexSuffix.Length];
        int data = path.LastIndexOf(".data-", StringComparison.Ordinal);
        if (data > 0 && !File.Exists(IndexPath(path)) && System.Text.RegularExpressions.Regex.IsMatch(path[data..], @"^\.data-\d{5}-of-\d{5}$"))
            return path[..data];
        return path;
    }

    /// <summary>The longest line of a <c>checkpoint</c> state file read (a path per line; a device never ends).</summary>
    private const int MaxStateLineChars = 1 << 16;

    /// <summary>
    /// The checkpoint in a folder: <c>model_checkpoint_path</c> of its TensorFlow <c>checkpoint</c> file, else its only
    /// <c>*.index</c> file.
    /// </summary>
    internal static string PrefixInFolder(string folder)
    {
        if (SaveSnapshot.FileIn(folder, "checkpoint") is { } state)
        {
            using var reader = new StreamReader(SaveSnapshot.OpenRead(state));
            int number = 0;
            while (BoundedFile.ReadLine(reader, MaxStateLineChars, $"TensorFlow checkpoint state '{state}'", ++number) is { } line)
            {
                var m = System.Text.RegularExpressions.Regex.Match(line, "^\\s*model_checkpoint_path:\\s*\"(.*)\"\\s*$");
                if (m.Success)
                    return Path.Combine(folder, m.Groups[1].Value);
            }
        }
        var indexes = SaveManifest.Scan(folder, "*" + IndexSuffix);
        if (indexes.Length == 1)
            return indexes[0][..^IndexSuffix.Length];
        throw new FileNotFoundException(indexes.Length == 0
            ? $"Folder '{folder}' holds no TensorFlow checkpoint (no *.index file and no 'checkpoint' file)"
            : $"Folder '{folder}' holds {indexes.Length} checkpoints ({string.Join(", ", indexes.Select(Path.GetFileName))}): give the prefix", folder);
    }
}
