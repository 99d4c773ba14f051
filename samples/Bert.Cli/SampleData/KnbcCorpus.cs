using System.Text;
using Bert.Classification.Data;

namespace Bert.Cli.SampleData;

/// <summary>
/// Reads the KNB corpus (Kyoto University and NTT Blog corpus, KNBC v1.0) as distributed: <c>corpus2/*.tsv</c>,
/// EUC-JP, one sentence per line with tab-separated columns sentence id, sentence and four evaluative annotation
/// columns (<see cref="KnbcSentence.Annotations"/>). The label comes from the file name (Gourmet = グルメ, Keitai = 携帯電話, Kyoto = 京都,
/// Sports = スポーツ), the article (<see cref="KnbcSentence.Article"/>) from the part of the sentence id before
/// the first '-' (<c>KN012_Gourmet_1-1-1-01</c> → <c>KN012_Gourmet_1</c>), and the first sentence of each article is
/// its title (<see cref="KnbcSentence.IsTitle"/>). The full corpus has 4186 sentences in 249 articles.
/// </summary>
/// <remarks>
/// Decoding is strict: a byte sequence that is not valid EUC-JP (for example a UTF-8 file) is an
/// <see cref="InvalidDataException"/> naming the file and line, never replacement characters. Rows need at least the
/// two first columns, a non-empty sentence id containing '-' and no spaces, a non-empty sentence; sentence ids are unique.
/// Characters are mapped as iconv and Python's <c>euc_jp</c> map them (JIS X 0208: 0xA1C1 is U+301C WAVE DASH, 0xA1DD
/// U+2212 MINUS SIGN, ...), not as .NET's code page 51932 alone does (CP932 style: U+FF5E, U+FF0D, ...): the decoded
/// text equals the UTF-8 text the reference tokenization was made from. Three-byte JIS X 0212 characters (0x8F ...)
/// are not supported by .NET's code page 51932 and are reported as invalid; KNBC has none.
/// </remarks>
internal static class KnbcCorpus
{
    /// <summary>The EUC-JP code page of the corpus files: 51932.</summary>
    public const int CodePage = 51932;

    /// <summary>The corpus files, in the order of <see cref="Labels"/>.</summary>
    public static IReadOnlyList<string> FileNames { get; } = ["Gourmet.tsv", "Keitai.tsv", "Kyoto.tsv", "Sports.tsv"];

    /// <summary>The four topics in a fixed order (that of <see cref="FileNames"/>): グルメ, 携帯電話, 京都, スポーツ.</summary>
    public static IReadOnlyList<string> Labels { get; } = ["グルメ", "携帯電話", "京都", "スポーツ"];

    /// <summary>
    /// Loads all four files of the corpus, in the order of <see cref="FileNames"/>, sentences in file order.
    /// </summary>
    /// <param name="corpusDirectory">The <c>knbc</c> folder (holding <c>corpus2/</c>) or the <c>corpus2</c> folder itself.</param>
    /// <returns>The sentences with label, id, article and title flag.</returns>
    /// <exception cref="ArgumentException"><paramref name="corpusDirectory"/> is a file.</exception>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">One of the four files is missing.</exception>
    /// <exception cref="InvalidDataException">Invalid EUC-JP, a malformed row or a repeated sentence id, naming file and line.</exception>
    public static IReadOnlyList<KnbcSentence> Load(string corpusDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(corpusDirectory);
        if (File.Exists(corpusDirectory))
            throw new ArgumentException($"'{corpusDirectory}' is a file; expected the knbc folder or its corpus2 folder.", nameof(corpusDirectory));
        if (!Directory.Exists(corpusDirectory))
            throw new DirectoryNotFoundException($"KNBC folder not found: '{corpusDirectory}' (expected the knbc folder or its corpus2 folder).");
        var folder = Directory.Exists(Path.Combine(corpusDirectory, "corpus2")) ? Path.Combine(corpusDirectory, "corpus2") : corpusDirectory;
        var all = new List<KnbcSentence>(4186);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var f = 0; f < FileNames.Count; f++)
        {
            var path = Path.Combine(folder, FileNames[f]);
            if (!File.Exists(path) && !Directory.Exists(path))
                throw new FileNotFoundException($"KNBC file not found: '{path}' (expected {string.Join(", ", FileNames)} in '{folder}').", path);
            foreach (var example in LoadFile(path, Labels[f]))
            {
                if (!seen.TryAdd(example.Id, path))
                    throw new InvalidDataException($"{path}: sentence id '{example.Id}' also occurs in {seen[example.Id]}.");
                all.Add(example);
            }
        }
        return all;
    }

    /// <summary>Loads one corpus file.</summary>
    /// <param name="path">A <c>corpus2/*.tsv</c> file.</param>
    /// <param name="label">The label of every sentence; null: from the file name (<c>Gourmet.tsv</c> → グルメ, ...).</param>
    /// <returns>The sentences in file order.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is a directory, or the label cannot be inferred from the file name.</exception>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">Invalid EUC-JP, an empty file, a malformed row or a repeated sentence id, naming file and line.</exception>
    public static IReadOnlyList<KnbcSentence> LoadFile(string path, string? label = null)
    {
        var bytes = ReadAllBytes(path);
        return Parse(bytes, label ?? LabelForFile(path), path);
    }

    /// <summary>Loads corpus rows from a stream of EUC-JP bytes.</summary>
    /// <param name="stream">The content of a <c>corpus2/*.tsv</c> file.</param>
    /// <param name="label">The label of every sentence.</param>
    /// <param name="sourceName">The name used in error messages.</param>
    /// <returns>The sentences in stream order.</returns>
    /// <exception cref="InvalidDataException">Invalid EUC-JP, no rows, a malformed row or a repeated sentence id, naming the source and line.</exception>
    public static IReadOnlyList<KnbcSentence> LoadFile(Stream stream, string label, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Parse(buffer.ToArray(), label, sourceName);
    }

    /// <summary>The label of a corpus file from its name: <c>Gourmet.tsv</c> → グルメ and so on.</summary>
    /// <param name="path">A path or file name.</param>
    /// <returns>The label.</returns>
    /// <exception cref="ArgumentException">The name is not one of <see cref="FileNames"/>.</exception>
    public static string LabelForFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var name = Path.GetFileName(path);
        for (var i = 0; i < FileNames.Count; i++)
        {
            if (string.Equals(name, FileNames[i], StringComparison.OrdinalIgnoreCase))
                return Labels[i];
        }
        throw new ArgumentException($"Cannot tell the KNBC topic of '{name}': expected one of {string.Join(", ", FileNames)}, or pass the label explicitly.", nameof(path));
    }

    /// <summary>The article id of a sentence id: the part before the first '-'.</summary>
    /// <param name="sentenceId">E.g. <c>KN012_Gourmet_1-1-1-01</c>.</param>
    /// <returns>E.g. <c>KN012_Gourmet_1</c>.</returns>
    /// <exception cref="ArgumentException">The id has no '-' or nothing before it.</exception>
    public static string ArticleId(string sentenceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(sentenceId);
        var dash = sentenceId.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0)
            throw new ArgumentException($"Sentence id '{sentenceId}' has no article part before a '-' (expected e.g. KN012_Gourmet_1-1-1-01).", nameof(sentenceId));
        return sentenceId[..dash];
    }

    private static List<KnbcSentence> Parse(byte[] bytes, string label, string source)
    {
        if (bytes.Length == 0)
            throw new InvalidDataException($"{source}: the file is empty; expected KNBC rows (sentence id, tab, sentence, ...).");
        var lines = DecodeLines(bytes, source);
        var examples = new List<KnbcSentence>(lines.Count);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        string? previousArticle = null;
        var articles = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var lineNumber = i + 1;
            var line = lines[i];
            if (line.Length == 0)
                throw new InvalidDataException($"{source}, line {lineNumber}: an empty line; expected sentence id, tab, sentence, ...");
            var columns = line.Split('\t');
            if (columns.Length < 2)
                throw new InvalidDataException($"{source}, line {lineNumber}: one column; expected tab-separated sentence id and sentence (then four sentiment columns).");
            var id = columns[0];
            if (id.Length == 0 || id.Any(char.IsWhiteSpace) || id.Any(char.IsControl))
                throw new InvalidDataException($"{source}, line {lineNumber}: the sentence id '{id}' is empty or holds spaces or control characters.");
            var dash = id.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0)
                throw new InvalidDataException($"{source}, line {lineNumber}: the sentence id '{id}' has no article part before a '-' (expected e.g. KN012_Gourmet_1-1-1-01).");
            var text = columns[1];
            if (string.IsNullOrWhiteSpace(text))
                throw new InvalidDataException($"{source}, line {lineNumber}: the sentence of '{id}' is empty.");
            if (!ids.TryAdd(id, lineNumber))
                throw new InvalidDataException($"{source}, line {lineNumber}: sentence id '{id}' repeats line {ids[id]}.");
            var article = id[..dash];
            var isTitle = article != previousArticle && articles.Add(article);
            previousArticle = article;
            var annotations = columns.Skip(2).Take(4).Select(c => c.Replace("\\n", "\n", StringComparison.Ordinal)).ToArray();
            examples.Add(new KnbcSentence(id, article, text, label, isTitle, annotations));
        }
        return examples;
    }

    /// <summary>The topic task: one example per sentence, labelled by topic, grouped by article.</summary>
    /// <param name="sentences">The corpus.</param>
    /// <param name="dropTitles">Leave out the article titles (<c>［グルメ］…</c>), which name the topic.</param>
    public static IReadOnlyList<TextExample> TopicExamples(IEnumerable<KnbcSentence> sentences, bool dropTitles = false) =>
        sentences.Where(s => !(dropTitles && s.IsTitle))
            .Select(s => new TextExample(s.Text, s.Topic) { Id = s.Id, GroupId = s.Article })
            .ToList();

    private static byte[] ReadAllBytes(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (Directory.Exists(path))
            throw new ArgumentException($"'{path}' is a directory; expected a file.", nameof(path));
        if (!File.Exists(path))
            throw new FileNotFoundException($"File not found: '{path}'.", path);
        return File.ReadAllBytes(path);
    }

    /// <summary>Strict EUC-JP: each '\n'-separated line decoded with a throwing decoder, so a bad byte names its line.</summary>
    private static List<string> DecodeLines(byte[] bytes, string source)
    {
        if (bytes.AsSpan().StartsWith("\uFEFF"u8))
            throw new InvalidDataException($"{source}, line 1: starts with a UTF-8 byte-order mark; expected EUC-JP text (convert the file, e.g. iconv -f utf-8 -t euc-jp).");
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var eucJp = Encoding.GetEncoding(CodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        var lines = new List<string>();
        int start = 0;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            int stop = end < 0 ? bytes.Length : end;
            int length = stop > start && bytes[stop - 1] == (byte)'\r' ? stop - start - 1 : stop - start;
            try
            {
                lines.Add(ToJisMapping(eucJp.GetString(bytes, start, length)));
            }
            catch (DecoderFallbackException e)
            {
                var bad = e.BytesUnknown is { Length: > 0 } unknown ? string.Join(" ", unknown.Select(b => b.ToString("X2"))) : "?";
                throw new InvalidDataException($"{source}, line {lines.Count + 1}: invalid EUC-JP byte sequence [{bad}] (is it UTF-8 or another encoding? KNBC corpus2 files are EUC-JP).", e);
            }
            start = end < 0 ? bytes.Length : end + 1;
        }
        return lines;
    }

    /// <summary>
    /// .NET's code page 51932 decodes six JIS X 0208 codes to Microsoft's CP932 choices; the EUC-JP standard mapping
    /// (iconv, Python's <c>euc_jp</c>, and the UTF-8 KNBC text the reference tokenization was made from) gives
    /// other characters, which SentencePiece's NFKC then treats differently (U+FF5E becomes '~', U+301C stays).
    /// These six are the only differences over all two-byte codes (checked code by code against Python), and only
    /// those codes decode to these characters, so replacing them after decoding is exact.
    /// </summary>
    internal static string ToJisMapping(string text)
    {
        if (text.AsSpan().IndexOfAny(CpChars) < 0)
            return text;
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var k = CpChars.IndexOf(chars[i]);
            if (k >= 0)
                chars[i] = JisChars[k];
        }
        return new string(chars);
    }

    // A1C1 A1C2 A1DD A1F1 A1F2 A2CC: .NET (CP932 style) -> EUC-JP standard (JIS X 0208 as in iconv).
    private const string CpChars = "\uFF5E\u2225\uFF0D\uFFE0\uFFE1\uFFE2";
    private const string JisChars = "\u301C\u2016\u2212\u00A2\u00A3\u00AC";
}
