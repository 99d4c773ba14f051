using Bert.Tokenization;

namespace Bert.Core.Pretraining;

/// <summary>
/// A pretraining corpus in the format of Google's <c>create_pretraining_data.py</c>: one sentence per line, documents
/// separated by empty lines. Lines are trimmed; runs of empty lines count as one separator.
/// </summary>
public sealed class PretrainingCorpus
{
    private PretrainingCorpus(IReadOnlyList<IReadOnlyList<string>> documents)
    {
        Documents = documents;
        SentenceCount = documents.Sum(d => d.Count);
    }

    /// <summary>The longest line accepted (one million characters; a line is one sentence).</summary>
    public const int MaxLineChars = 1 << 20;

    /// <summary>The documents, each a list of sentences (never empty).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Documents { get; }

    /// <summary>The number of sentences in all documents.</summary>
    public int SentenceCount { get; }

    /// <summary>Reads a UTF-8 corpus file (a byte-order mark is skipped).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is not UTF-8 text (a Shift_JIS or Latin-1 file), or is longer than
    /// <see cref="MaxLineChars"/> (a file with no line breaks, a device); the message names the file and the line.</exception>
    public static PretrainingCorpus Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Corpus file '{path}' not found.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return LoadUtf8(stream, $"corpus '{path}'");
    }

    /// <summary>Reads a UTF-8 corpus from a stream (not disposed; a byte-order mark is skipped).</summary>
    /// <exception cref="InvalidDataException">A line is not UTF-8 text, or is longer than <see cref="MaxLineChars"/>; the message names the line.</exception>
    public static PretrainingCorpus Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return LoadUtf8(stream, "corpus");
    }

    /// <summary>Reads a corpus from a text reader (not disposed).</summary>
    /// <exception cref="InvalidDataException">A line is longer than <see cref="MaxLineChars"/>.</exception>
    public static PretrainingCorpus Load(TextReader reader) => Load(reader, "corpus");

    private static PretrainingCorpus Load(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var builder = new Builder();
        int lineNumber = 0;
        while (BoundedFile.ReadLine(reader, MaxLineChars, source, ++lineNumber) is { } line)
            builder.Add(line);
        return builder.Build();
    }

    // Lines are split on '\n' as bytes and each is decoded by the strict UTF-8 decoder of BoundedFile, so that bytes that
    // are not UTF-8 fail naming the line (a StreamReader would turn them into U+FFFD, or fail blocks away from them).
    private static PretrainingCorpus LoadUtf8(Stream stream, string source)
    {
        var builder = new Builder();
        var buffer = new byte[1 << 16];
        var line = new MemoryStream();
        int lineNumber = 1;
        bool first = true;
        void Emit()
        {
            var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
            if (bytes.EndsWith("\r"u8)) bytes = bytes[..^1];
            if (first && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
            first = false;
            var text = BoundedFile.DecodeUtf8(bytes.ToArray(), $"{source}, line {lineNumber}");
            if (text.Length > MaxLineChars) throw TooLong(source, lineNumber);
            builder.Add(text);
            line.SetLength(0);
            lineNumber++;
        }
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var chunk = buffer.AsSpan(0, read);
            int newline;
            while ((newline = chunk.IndexOf((byte)'\n')) >= 0)
            {
                line.Write(chunk[..newline]);
                Emit();
                chunk = chunk[(newline + 1)..];
            }
            line.Write(chunk);
            if (line.Length > 4L * MaxLineChars) // UTF-8 takes at most 4 bytes per character: certainly too long
                throw TooLong(source, lineNumber);
        }
        if (line.Length > 0)
            Emit();
        return builder.Build();
    }

    private static InvalidDataException TooLong(string source, int lineNumber) =>
        new($"{source}, line {lineNumber}: longer than {MaxLineChars} characters (not a text file of lines?).");

    private sealed class Builder
    {
        private readonly List<IReadOnlyList<string>> documents = [];
        private List<string> current = [];

        public void Add(string line)
        {
            var sentence = line.Trim();
            if (sentence.Length > 0)
            {
                current.Add(sentence);
            }
            else if (current.Count > 0)
            {
                documents.Add(current.AsReadOnly());
                current = [];
            }
        }

        public PretrainingCorpus Build()
        {
            if (current.Count > 0)
                documents.Add(current.AsReadOnly());
            return new PretrainingCorpus(documents.AsReadOnly());
        }
    }

    /// <summary>Parses corpus text (one sentence per line, empty lines between documents).</summary>
    public static PretrainingCorpus Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var reader = new StringReader(text);
        return Load(reader);
    }

    /// <summary>A corpus made of given documents (empty sentences and documents are dropped).</summary>
    public static PretrainingCorpus FromDocuments(IEnumerable<IEnumerable<string>> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var list = documents
            .Select(d => (IReadOnlyList<string>)d.Select(s => s.Trim()).Where(s => s.Length > 0).ToList().AsReadOnly())
            .Where(d => d.Count > 0)
            .ToList();
        return new PretrainingCorpus(list.AsReadOnly());
    }

    /// <summary>The documents of several corpora, in order.</summary>
    public static PretrainingCorpus Concat(IEnumerable<PretrainingCorpus> corpora)
    {
        ArgumentNullException.ThrowIfNull(corpora);
        return new PretrainingCorpus(corpora.SelectMany(c => c.Documents).ToList().AsReadOnly());
    }

    /// <summary>
    /// The piece ids of every sentence (no <c>[CLS]</c>/<c>[SEP]</c>), document by document, for
    /// <see cref="PretrainingBatchGenerator"/>. Sentences are tokenized in parallel; the result does not depend on it.
    /// </summary>
    /// <param name="indexer">The tokenizer.</param>
    /// <param name="progress">Receives the number of sentences tokenized so far, now and then.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    public IReadOnlyList<IReadOnlyList<int[]>> Tokenize(IBertIndexer indexer, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(indexer);
        var flat = Documents.SelectMany(d => d).ToArray();
        var ids = new int[flat.Length][];
        var done = 0;
        Parallel.For(0, flat.Length, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            ids[i] = indexer.TokenizeToIds(flat[i]).ToArray();
            var n = Interlocked.Increment(ref done);
            if (n % 10000 == 0) progress?.Report(n);
        });
        progress?.Report(flat.Length);
        var result = new List<IReadOnlyList<int[]>>(Documents.Count);
        var k = 0;
        foreach (var document in Documents)
        {
            result.Add(ids.AsSpan(k, document.Count).ToArray());
            k += document.Count;
        }
        return result.AsReadOnly();
    }

    /// <summary>Writes the corpus in its file format (one sentence per line, an empty line between documents).</summary>
    public void Save(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        for (var d = 0; d < Documents.Count; d++)
        {
            if (d > 0) writer.Write('\n');
            foreach (var sentence in Documents[d])
            {
                writer.Write(sentence);
                writer.Write('\n');
            }
        }
    }
}
