namespace Bert.Classification.Data;

/// <summary>
/// Reads the KNB corpus (Kyoto University and NTT Blog corpus, KNBC v1.0) as distributed: <c>corpus2/*.tsv</c>,
/// EUC-JP, one sentence per line with tab-separated columns sentence id, sentence and four sentiment annotation
/// columns (ignored). The label comes from the file name (Gourmet = グルメ, Keitai = 携帯電話, Kyoto = 京都,
/// Sports = スポーツ), the article (<see cref="TextExample.GroupId"/>) from the part of the sentence id before
/// the first '-' (<c>KN012_Gourmet_1-1-1-01</c> → <c>KN012_Gourmet_1</c>), and the first sentence of each article is
/// its title (<see cref="TextExample.IsTitle"/>). The full corpus has 4186 sentences in 249 articles.
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
public static class KnbcCorpus
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
    public static IReadOnlyList<TextExample> Load(string corpusDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(corpusDirectory);
        if (File.Exists(corpusDirectory))
            throw new ArgumentException($"'{corpusDirectory}' is a file; expected the knbc folder or its corpus2 folder.", nameof(corpusDirectory));
        if (!Directory.Exists(corpusDirectory))
            throw new DirectoryNotFoundException($"KNBC folder not found: '{corpusDirectory}' (expected the knbc folder or its corpus2 folder).");
        var folder = Directory.Exists(Path.Combine(corpusDirectory, "corpus2")) ? Path.Combine(corpusDirectory, "corpus2") : corpusDirectory;
        var all = new List<TextExample>(4186);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var f = 0; f < FileNames.Count; f++)
        {
            var path = Path.Combine(folder, FileNames[f]);
            if (!File.Exists(path) && !Directory.Exists(path))
                throw new FileNotFoundException($"KNBC file not found: '{path}' (expected {string.Join(", ", FileNames)} in '{folder}').", path);
            foreach (var example in LoadFile(path, Labels[f]))
            {
                if (!seen.TryAdd(example.Id!, path))
                    throw new InvalidDataException($"{path}: sentence id '{example.Id}' also occurs in {seen[example.Id!]}.");
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
    public static IReadOnlyList<TextExample> LoadFile(string path, string? label = null)
    {
        var bytes = StrictTextFile.ReadAllBytes(path, nameof(path));
        return Parse(bytes, label ?? LabelForFile(path), path);
    }

    /// <summary>Loads corpus rows from a stream of EUC-JP bytes.</summary>
    /// <param name="stream">The content of a <c>corpus2/*.tsv</c> file.</param>
    /// <param name="label">The label of every sentence.</param>
    /// <param name="sourceName">The name used in error messages.</param>
    /// <returns>The sentences in stream order.</returns>
    /// <exception cref="InvalidDataException">Invalid EUC-JP, no rows, a malformed row or a repeated sentence id, naming the source and line.</exception>
    public static IReadOnlyList<TextExample> LoadFile(Stream stream, string label, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        return Parse(StrictTextFile.ReadAllBytes(stream, sourceName), label, sourceName);
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

    private static List<TextExample> Parse(byte[] bytes, string label, string source)
    {
        if (bytes.Length == 0)
            throw new InvalidDataException($"{source}: the file is empty; expected KNBC rows (sentence id, tab, sentence, ...).");
        var lines = StrictTextFile.DecodeLines(bytes, StrictTextFile.StrictEucJp, source, allowUtf8Bom: false);
        var examples = new List<TextExample>(lines.Count);
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
            examples.Add(new TextExample(text, label) { Id = id, GroupId = article, IsTitle = isTitle });
        }
        return examples;
    }
}
