using System.Globalization;

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
        if (path.EndsWith(IndexSuffix, StringComparison.Ordinal))
            return path[..^IndexSuffix.Length];
        int data = path.LastIndexOf(".data-", StringComparison.Ordinal);
        if (data > 0 && !File.Exists(IndexPath(path)) && System.Text.RegularExpressions.Regex.IsMatch(path[data..], @"^\.data-\d{5}-of-\d{5}$"))
            return path[..data];
        return path;
    }
}
