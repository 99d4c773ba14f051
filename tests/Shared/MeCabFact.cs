namespace Bert.Tests;

/// <summary>The Debian MeCab installation the MeCab tests read (packages mecab, mecab-ipadic-utf8, mecab-jumandic-utf8).</summary>
public static class MeCabPaths
{
    /// <summary>IPADIC 2.7.0 compiled for UTF-8 (mecab-ipadic-utf8), the dictionary of cl-tohoku/bert-base-japanese v1.</summary>
    public const string Ipadic = "/var/lib/mecab/dic/ipadic-utf8";

    /// <summary>JUMAN dic compiled for UTF-8 (mecab-jumandic-utf8).</summary>
    public const string Jumandic = "/var/lib/mecab/dic/juman-utf8";

    /// <summary>The reference analyser, mecab 0.996.</summary>
    public const string MecabBinary = "/usr/bin/mecab";
}

/// <summary>A fact that needs MeCab dictionary folders (and, when asked, the mecab binary and shared data); skipped, naming what is missing.</summary>
public sealed class MeCabFactAttribute : FactAttribute
{
    /// <param name="needsMecab">The test runs the mecab binary as its reference.</param>
    /// <param name="paths">Absolute dictionary folders, or paths inside shared/.</param>
    public MeCabFactAttribute(bool needsMecab, params string[] paths)
    {
        foreach (var path in paths)
        {
            var full = Path.IsPathRooted(path) ? path : SharedData.PathOf(path);
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                Skip = Path.IsPathRooted(path)
                    ? $"needs the MeCab dictionary {full} (Debian packages mecab-ipadic-utf8, mecab-jumandic-utf8), which is absent"
                    : $"needs {full} (the shared fixtures beside the repository), which is absent";
                return;
            }
        }
        if (needsMecab && !File.Exists(MeCabPaths.MecabBinary))
            Skip = $"needs the reference {MeCabPaths.MecabBinary} (Debian package mecab), which is absent";
    }
}
