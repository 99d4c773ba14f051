using System.Text;
using System.Text.RegularExpressions;
using Bert.Tokenization;

using Bert.Core.Pretraining;

namespace Bert.Cli.SampleData;

/// <summary>
/// Turns an Aozora Bunko text file (青空文庫) into a pretraining corpus: removes the ruby readings <c>《...》</c>, the
/// ruby start marks <c>｜</c>, the input notes <c>［＃...］</c> (with the <c>※</c> that stands for a character the note
/// describes), the explanatory header between the two <c>-----</c> lines (and the title and author above it) and the
/// colophon from <c>底本：</c> on; makes each chapter (a heading note <c>［＃「一」は中見出し］</c>) a document and splits
/// paragraphs into sentences after <c>。！？</c> outside brackets.
/// </summary>
/// <example>
/// <code>
/// var corpus = AozoraText.ToCorpus(File.ReadAllText("wagahaiwa_nekodearu.txt"));
/// // "　吾輩《わがはい》は猫である。名前はまだ無い。" gives the sentences "吾輩は猫である。" and "名前はまだ無い。"
/// </code>
/// </example>
internal static partial class AozoraText
{
    private const string Openers = "「『（(〔［【〈｛";
    private const string Closers = "」』）)〕］】〉｝";
    private const string Enders = "。！？!?";

    /// <summary>Removes ruby readings, ruby start marks and input notes from one line of text.</summary>
    public static string StripMarkup(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        line = NoteRegex().Replace(line, "");
        line = RubyRegex().Replace(line, "");
        return line.Replace("｜", "", StringComparison.Ordinal);
    }

    /// <summary>
    /// Splits a paragraph into sentences after <c>。</c>, <c>！</c>, <c>？</c> (and the closing brackets that follow)
    /// when no bracket is open, so that a quotation stays one sentence.
    /// </summary>
    public static IReadOnlyList<string> SplitSentences(string paragraph)
    {
        ArgumentNullException.ThrowIfNull(paragraph);
        var sentences = new List<string>();
        var current = new StringBuilder();
        var depth = 0;
        for (var i = 0; i < paragraph.Length; i++)
        {
            var c = paragraph[i];
            current.Append(c);
            if (Openers.Contains(c, StringComparison.Ordinal)) depth++;
            else if (Closers.Contains(c, StringComparison.Ordinal)) depth = Math.Max(0, depth - 1);
            else if (depth == 0 && Enders.Contains(c, StringComparison.Ordinal))
            {
                while (i + 1 < paragraph.Length && Enders.Contains(paragraph[i + 1], StringComparison.Ordinal))
                    current.Append(paragraph[++i]);
                Flush(current, sentences);
            }
        }
        Flush(current, sentences);
        return sentences;
    }

    /// <summary>The largest file <see cref="Load"/> reads (256 MiB; the longest Aozora Bunko works are a few MB).</summary>
    public const long MaxBytes = 256L << 20;

    /// <summary>Reads an Aozora Bunko file (UTF-8) and makes it a corpus (see <see cref="ToCorpus"/>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is larger than <see cref="MaxBytes"/> or not UTF-8.</exception>
    public static PretrainingCorpus Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Aozora Bunko text '{path}' not found.", path);
        // Read at most MaxBytes + 1 bytes, whatever the file claims (a device such as /dev/zero has no length).
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        for (int n; (n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, MaxBytes + 1 - buffer.Length))) > 0;)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxBytes)
                throw new InvalidDataException($"'{path}' is larger than {MaxBytes} bytes, the limit for an Aozora Bunko text.");
        }
        try
        {
            return ToCorpus(new UTF8Encoding(false, true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"'{path}' is not UTF-8 text.", ex);
        }
    }

    /// <summary>The corpus of an Aozora Bunko text: chapters as documents, one sentence per entry, markup removed.</summary>
    public static PretrainingCorpus ToCorpus(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var start = 0;
        var separators = lines.Take(100).Select((l, i) => (l, i)).Where(x => SeparatorRegex().IsMatch(x.l)).Select(x => x.i).ToList();
        if (separators.Count >= 2)
            start = separators[1] + 1;
        var end = Array.FindIndex(lines, start, l => l.StartsWith("底本：", StringComparison.Ordinal));
        if (end < 0) end = lines.Length;

        var documents = new List<List<string>>();
        var current = new List<string>();
        for (var i = start; i < end; i++)
        {
            var line = lines[i];
            if (HeadingRegex().IsMatch(line))
            {
                if (current.Count > 0) documents.Add(current);
                current = [];
                continue;
            }
            var paragraph = StripMarkup(line).Trim();
            if (paragraph.Length > 0)
                current.AddRange(SplitSentences(paragraph));
        }
        if (current.Count > 0) documents.Add(current);
        return PretrainingCorpus.FromDocuments(documents);
    }

    private static void Flush(StringBuilder current, List<string> sentences)
    {
        var s = current.ToString().Trim();
        if (s.Length > 0) sentences.Add(s);
        current.Clear();
    }

    [GeneratedRegex("※?［＃[^］]*］")]
    private static partial Regex NoteRegex();

    [GeneratedRegex("《[^》]*》")]
    private static partial Regex RubyRegex();

    [GeneratedRegex("^-{10,}\\s*$")]
    private static partial Regex SeparatorRegex();

    [GeneratedRegex("［＃[^］]*(見出し|改ページ|改丁)[^］]*］")]
    private static partial Regex HeadingRegex();
}
