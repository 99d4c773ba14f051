using System.Text;

namespace Bert.Tokenization.MeCab;

/// <summary>
/// A compiled MeCab system dictionary folder, as <c>mecab-dict-index</c> writes it (IPADIC, UniDic, JUMAN dic,
/// NAIST-jdic...): <c>sys.dic</c> (the lexicon), <c>unk.dic</c> (unknown-word entries per character category),
/// <c>char.bin</c> (character categories), <c>matrix.bin</c> (connection costs) and <c>dicrc</c> (settings).
/// Every file is read once and checked; a missing, truncated, foreign or inconsistent file is refused with an
/// <see cref="InvalidDataException"/> naming it. Immutable and thread-safe; share one instance.
/// </summary>
/// <remarks>Only UTF-8 dictionaries are supported (Debian's <c>mecab-ipadic-utf8</c>, <c>mecab-jumandic-utf8</c>, unidic-lite).</remarks>
public sealed class MeCabDictionary
{
    private const int DefaultMaxGroupingSize = 24;

    private MeCabDictionary(string folder, MeCabLexicon system, MeCabLexicon unknown, CharProperty characters,
        ConnectionMatrix matrix, int[] unknownValues)
    {
        Folder = folder;
        System = system;
        Unknown = unknown;
        Characters = characters;
        Matrix = matrix;
        UnknownValues = unknownValues;
        SpaceInfo = characters.Info(0x20);
    }

    /// <summary>The dictionary folder.</summary>
    public string Folder { get; }

    /// <summary>The charset the dictionary was compiled for (as in <c>mecab -D</c>).</summary>
    public string Charset => System.Charset;

    /// <summary>The number of entries in <c>sys.dic</c> (as in <c>mecab -D</c>).</summary>
    public int Size => (int)System.LexiconSize;

    /// <summary>The number of left context ids (the connection matrix's first size).</summary>
    public int LeftSize => Matrix.LeftSize;

    /// <summary>The number of right context ids (the connection matrix's second size).</summary>
    public int RightSize => Matrix.RightSize;

    internal MeCabLexicon System { get; }

    internal MeCabLexicon Unknown { get; }

    internal CharProperty Characters { get; }

    internal ConnectionMatrix Matrix { get; }

    /// <summary>
    /// MeCab's <c>max-grouping-size</c> (24, <c>mecab</c>'s default): a run of a grouping category longer than
    /// this plus one character is not one unknown word.
    /// </summary>
    internal int MaxGroupingSize => DefaultMaxGroupingSize;

    /// <summary>The <c>unk.dic</c> trie value of each character category, by category id.</summary>
    internal int[] UnknownValues { get; }

    /// <summary>The class of U+0020, whose categories MeCab skips before each word.</summary>
    internal CharInfo SpaceInfo { get; }

    /// <summary>Reads and checks a compiled dictionary folder (e.g. <c>/var/lib/mecab/dic/ipadic-utf8</c>).</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of its files is missing.</exception>
    /// <exception cref="InvalidDataException">A file is truncated, of another version, endianness or charset, or the files do not match.</exception>
    public static MeCabDictionary Load(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"MeCab dictionary folder '{folder}' not found.");
        CheckDicrc(Path.Combine(folder, "dicrc"));
        var system = MeCabLexicon.Load(Path.Combine(folder, "sys.dic"));
        if (system.Type != 0)
            throw new InvalidDataException($"'{system.Path}' is not a system dictionary (type {system.Type}, expected 0).");
        if (!IsUtf8(system.Charset))
            throw new InvalidDataException($"'{system.Path}' is compiled for charset '{system.Charset}'; only UTF-8 dictionaries are supported (compile with mecab-dict-index -t utf-8, or install the -utf8 package).");
        var unknown = MeCabLexicon.Load(Path.Combine(folder, "unk.dic"));
        var characters = CharProperty.Load(Path.Combine(folder, "char.bin"));
        var matrixPath = Path.Combine(folder, "matrix.bin");
        var matrix = ConnectionMatrix.Load(matrixPath);
        if (system.LeftSize != matrix.LeftSize || system.RightSize != matrix.RightSize)
            throw new InvalidDataException($"'{matrixPath}' ({matrix.LeftSize} x {matrix.RightSize}) does not match '{system.Path}' ({system.LeftSize} x {system.RightSize} context ids); they come from different dictionaries.");
        CheckContextIds(system, matrix, matrixPath);
        CheckContextIds(unknown, matrix, matrixPath);

        var unknownValues = new int[characters.Names.Count];
        for (var i = 0; i < unknownValues.Length; i++)
        {
            var value = unknown.Trie.ExactMatch(Encoding.UTF8.GetBytes(characters.Names[i]));
            if (value < 0)
                throw new InvalidDataException($"'{unknown.Path}' has no entry for character category '{characters.Names[i]}' of '{Path.Combine(folder, "char.bin")}'; they come from different dictionaries.");
            unknown.TokensOf(value);
            unknownValues[i] = value;
        }
        return new MeCabDictionary(folder, system, unknown, characters, matrix, unknownValues);
    }

    private static bool IsUtf8(string charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);

    private static void CheckContextIds(MeCabLexicon lexicon, ConnectionMatrix matrix, string matrixPath)
    {
        foreach (var token in lexicon.Tokens)
        {
            if (token.LeftId >= matrix.RightSize || token.RightId >= matrix.LeftSize)
                throw new InvalidDataException($"'{lexicon.Path}' has a word with context ids ({token.LeftId}, {token.RightId}) outside '{matrixPath}' ({matrix.LeftSize} x {matrix.RightSize}).");
        }
    }

    /// <summary>The longest <c>dicrc</c> line read (a device or a binary file given as dicrc never ends).</summary>
    private const int MaxDicrcLineChars = 1 << 16;

    /// <summary>
    /// Checks <c>dicrc</c> as MeCab reads it (<c>key = value</c> lines, <c>;</c>/<c>#</c> comments). None of its
    /// settings changes the best path: <c>max-grouping-size</c> there is ignored by <c>mecab</c> (its command-line
    /// default, 24, is set first and <c>dicrc</c> does not overwrite it).
    /// </summary>
    private static void CheckDicrc(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"MeCab dictionary file '{path}' not found (mecab needs it too).", path);
        using var reader = new StreamReader(path);
        var number = 0;
        while (BoundedFile.ReadLine(reader, MaxDicrcLineChars, $"MeCab dictionary file '{path}'", ++number) is { } line)
        {
            if (line.Length == 0 || line[0] == ';' || line[0] == '#')
                continue;
            if (!line.Contains('=', StringComparison.Ordinal))
                throw new InvalidDataException($"'{path}' line {number}: expected 'key = value', got '{line}'.");
        }
    }
}
