using Bert.Core.IO;
namespace Bert.Classification.Data;

/// <summary>
/// Readers and writers for labelled texts in CSV/TSV files (RFC 4180: quoted fields may hold delimiters, quotes
/// and line breaks; UTF-8, a byte-order mark is accepted):
/// <list type="bullet">
/// <item>the reference run's layout: a folder with <c>features.csv</c> (column <c>feature</c>) and <c>labels.csv</c>
/// (column <c>label</c>), one row per example in the same order (other columns, e.g. a pandas index, are ignored);</item>
/// <item>a plain table with columns <c>text</c> and <c>label</c> (and optional <c>id</c>, <c>group</c>,
/// <c>is_title</c>), comma- or tab-separated.</item>
/// </list>
/// Errors name the file and line: <see cref="InvalidDataException"/> for malformed content (invalid UTF-8, a missing
/// column, a row with the wrong number of fields, an empty label, mismatched row counts, no rows),
/// <see cref="FileNotFoundException"/> for a missing file, <see cref="ArgumentException"/> for a directory given as a file.
/// Writers are atomic (temporary file, then rename) and write UTF-8 without a byte-order mark, '\n' line ends.
/// </summary>
public static class LabeledTextFiles
{
    /// <summary>The features file of the reference layout: <c>features.csv</c>.</summary>
    public const string FeaturesFileName = "features.csv";

    /// <summary>The labels file of the reference layout: <c>labels.csv</c>.</summary>
    public const string LabelsFileName = "labels.csv";

    /// <summary>The text column of <c>features.csv</c>: <c>feature</c>.</summary>
    public const string FeatureColumn = "feature";

    /// <summary>The label column of <c>labels.csv</c> and of plain tables: <c>label</c>.</summary>
    public const string LabelColumn = "label";

    /// <summary>The text column of plain tables: <c>text</c>.</summary>
    public const string TextColumn = "text";

    /// <summary>The optional id column of plain tables: <c>id</c> (<see cref="TextExample.Id"/>).</summary>
    public const string IdColumn = "id";

    /// <summary>The optional group column of plain tables: <c>group</c> (<see cref="TextExample.GroupId"/>).</summary>
    public const string GroupColumn = "group";

    /// <summary>The optional title flag column of plain tables: <c>is_title</c>, <c>true</c>/<c>false</c> or <c>1</c>/<c>0</c>.</summary>
    public const string IsTitleColumn = "is_title";

    /// <summary>Reads <c>features.csv</c> and <c>labels.csv</c> from <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder holding both files.</param>
    /// <returns>One example per row, in file order.</returns>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is a file, or a CSV path is a directory.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">Malformed content or different row counts, naming the file and line.</exception>
    public static IReadOnlyList<TextExample> LoadFeaturesAndLabels(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (File.Exists(directory))
            throw new ArgumentException($"'{directory}' is a file; expected the folder that holds {FeaturesFileName} and {LabelsFileName}.", nameof(directory));
        return LoadFeaturesAndLabels(Path.Combine(directory, FeaturesFileName), Path.Combine(directory, LabelsFileName));
    }

    /// <summary>Reads a features file (column <c>feature</c>) and a labels file (column <c>label</c>) row by row.</summary>
    /// <param name="featuresPath">The CSV with column <c>feature</c>.</param>
    /// <param name="labelsPath">The CSV with column <c>label</c>, as many rows as <paramref name="featuresPath"/>.</param>
    /// <returns>One example per row, in file order.</returns>
    /// <exception cref="ArgumentException">A path is a directory.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">Malformed content or different row counts, naming the file and line.</exception>
    public static IReadOnlyList<TextExample> LoadFeaturesAndLabels(string featuresPath, string labelsPath) =>
        Combine(ReadColumns(featuresPath, nameof(featuresPath), ',', [FeatureColumn], []), ReadColumns(labelsPath, nameof(labelsPath), ',', [LabelColumn], []));

    /// <summary>Reads features (column <c>feature</c>) and labels (column <c>label</c>) from two streams of UTF-8 CSV.</summary>
    /// <param name="features">The features CSV.</param>
    /// <param name="labels">The labels CSV, as many rows as <paramref name="features"/>.</param>
    /// <param name="featuresName">The name of the features source in error messages.</param>
    /// <param name="labelsName">The name of the labels source in error messages.</param>
    /// <returns>One example per row, in order.</returns>
    /// <exception cref="InvalidDataException">Malformed content or different row counts, naming the source and line.</exception>
    public static IReadOnlyList<TextExample> LoadFeaturesAndLabels(Stream features, Stream labels, string featuresName = FeaturesFileName, string labelsName = LabelsFileName)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentException.ThrowIfNullOrWhiteSpace(featuresName);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelsName);
        return Combine(
            ParseColumns(StrictTextFile.ReadAllBytes(features, featuresName), featuresName, ',', [FeatureColumn], []),
            ParseColumns(StrictTextFile.ReadAllBytes(labels, labelsName), labelsName, ',', [LabelColumn], []));
    }

    /// <summary>Writes <c>features.csv</c> and <c>labels.csv</c> into <paramref name="directory"/> (created if needed), each atomically.</summary>
    /// <param name="directory">The destination folder.</param>
    /// <param name="examples">The examples; texts and labels are written in this order.</param>
    /// <exception cref="ArgumentException">An example has an empty label.</exception>
    public static void SaveFeaturesAndLabels(string directory, IEnumerable<TextExample> examples)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var list = CheckForWriting(examples);
        Directory.CreateDirectory(directory);
        AtomicFile.Write(Path.Combine(directory, FeaturesFileName), s => Csv.Write(s, [FeatureColumn], list.Select(e => (IReadOnlyList<string>)[e.Text]), ','));
        AtomicFile.Write(Path.Combine(directory, LabelsFileName), s => Csv.Write(s, [LabelColumn], list.Select(e => (IReadOnlyList<string>)[e.Label]), ','));
    }

    /// <summary>
    /// Reads a table with a header row holding <c>text</c> and <c>label</c> (names matched case-insensitively, other
    /// columns ignored except the optional <c>id</c>, <c>group</c> and <c>is_title</c>).
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="delimiter">The field delimiter; null: tab for a <c>.tsv</c> or <c>.tab</c> file, comma otherwise.</param>
    /// <returns>One example per row, in file order.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is a directory.</exception>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">Malformed content, naming the file and line.</exception>
    public static IReadOnlyList<TextExample> LoadTextLabel(string path, char? delimiter = null)
    {
        var table = ReadColumns(path, nameof(path), delimiter ?? DelimiterFor(path), [TextColumn, LabelColumn], [IdColumn, GroupColumn, IsTitleColumn]);
        return ToExamples(table);
    }

    /// <summary>Reads a <c>text,label</c> table from a stream (see <see cref="LoadTextLabel(string, char?)"/>).</summary>
    /// <param name="stream">The UTF-8 content.</param>
    /// <param name="sourceName">The name used in error messages, e.g. the original file name.</param>
    /// <param name="delimiter">The field delimiter.</param>
    /// <returns>One example per row, in stream order.</returns>
    /// <exception cref="InvalidDataException">Malformed content, naming <paramref name="sourceName"/> and the line.</exception>
    public static IReadOnlyList<TextExample> LoadTextLabel(Stream stream, string sourceName, char delimiter = ',')
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        var bytes = StrictTextFile.ReadAllBytes(stream, sourceName);
        return ToExamples(ParseColumns(bytes, sourceName, delimiter, [TextColumn, LabelColumn], [IdColumn, GroupColumn, IsTitleColumn]));
    }

    /// <summary>
    /// Writes a <c>text,label</c> table atomically, adding <c>id</c>, <c>group</c> and <c>is_title</c> columns when any
    /// example has an id, a group or is a title, so that <see cref="LoadTextLabel(string, char?)"/> gives the examples back.
    /// </summary>
    /// <param name="path">The destination file.</param>
    /// <param name="examples">The examples.</param>
    /// <param name="delimiter">The field delimiter; null: tab for a <c>.tsv</c> or <c>.tab</c> file, comma otherwise.</param>
    /// <exception cref="ArgumentException">An example has an empty label, or <paramref name="path"/> is a directory.</exception>
    public static void SaveTextLabel(string path, IEnumerable<TextExample> examples, char? delimiter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var list = CheckForWriting(examples);
        var withId = list.Any(e => e.Id is not null);
        var withGroup = list.Any(e => e.GroupId is not null);
        var withTitle = list.Any(e => e.IsTitle);
        var header = new List<string> { TextColumn, LabelColumn };
        if (withId) header.Add(IdColumn);
        if (withGroup) header.Add(GroupColumn);
        if (withTitle) header.Add(IsTitleColumn);
        IEnumerable<IReadOnlyList<string>> Rows()
        {
            foreach (var e in list)
            {
                var row = new List<string> { e.Text, e.Label };
                if (withId) row.Add(e.Id ?? "");
                if (withGroup) row.Add(e.GroupId ?? "");
                if (withTitle) row.Add(e.IsTitle ? "true" : "false");
                yield return row;
            }
        }
        AtomicFile.Write(path, s => Csv.Write(s, header, Rows(), delimiter ?? DelimiterFor(path)));
    }

    private static char DelimiterFor(string path)
    {
        var extension = Path.GetExtension(path);
        return extension.Equals(".tsv", StringComparison.OrdinalIgnoreCase) || extension.Equals(".tab", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';
    }

    private static List<TextExample> CheckForWriting(IEnumerable<TextExample> examples)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var list = examples.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
                throw new ArgumentException($"Example {i} is null.", nameof(examples));
            if (list[i].Text is null || string.IsNullOrEmpty(list[i].Label))
                throw new ArgumentException($"Example {i} has a null text or an empty label.", nameof(examples));
        }
        return list;
    }

    private static List<TextExample> Combine(Table features, Table labels)
    {
        if (features.Rows.Count != labels.Rows.Count)
        {
            var shorter = features.Rows.Count < labels.Rows.Count ? features : labels;
            var longer = ReferenceEquals(shorter, features) ? labels : features;
            throw new InvalidDataException(
                $"{features.Source} has {features.Rows.Count} rows but {labels.Source} has {labels.Rows.Count}; they must match row for row " +
                $"({longer.Source}, line {longer.Rows[shorter.Rows.Count].LineNumber}, has no counterpart in {shorter.Source}).");
        }
        var examples = new List<TextExample>(features.Rows.Count);
        for (var i = 0; i < features.Rows.Count; i++)
        {
            var label = labels.Rows[i].Values[0]!;
            if (label.Length == 0)
                throw new InvalidDataException($"{labels.Source}, line {labels.Rows[i].LineNumber}: the label is empty.");
            examples.Add(new TextExample(features.Rows[i].Values[0]!, label));
        }
        return examples;
    }

    private static List<TextExample> ToExamples(Table table)
    {
        var examples = new List<TextExample>(table.Rows.Count);
        foreach (var row in table.Rows)
        {
            var label = row.Values[1]!;
            if (label.Length == 0)
                throw new InvalidDataException($"{table.Source}, line {row.LineNumber}: the label is empty.");
            var isTitle = false;
            if (row.Values[4] is { Length: > 0 } flag)
            {
                isTitle = flag.Trim().ToLowerInvariant() switch
                {
                    "true" or "1" => true,
                    "false" or "0" => false,
                    _ => throw new InvalidDataException($"{table.Source}, line {row.LineNumber}: {IsTitleColumn} is '{flag}'; expected true, false, 1 or 0."),
                };
            }
            examples.Add(new TextExample(row.Values[0]!, label)
            {
                Id = string.IsNullOrEmpty(row.Values[2]) ? null : row.Values[2],
                GroupId = string.IsNullOrEmpty(row.Values[3]) ? null : row.Values[3],
                IsTitle = isTitle,
            });
        }
        return examples;
    }

    private static Table ReadColumns(string path, string parameterName, char delimiter, string[] required, string[] optional)
    {
        var bytes = StrictTextFile.ReadAllBytes(path, parameterName);
        return ParseColumns(bytes, path, delimiter, required, optional);
    }

    private static Table ParseColumns(byte[] bytes, string source, char delimiter, string[] required, string[] optional)
    {
        if (bytes.Length == 0)
            throw new InvalidDataException($"{source}: the file is empty; expected a header row with column(s) {string.Join(", ", required)}.");
        var lines = StrictTextFile.DecodeLines(bytes, StrictTextFile.StrictUtf8, source, allowUtf8Bom: true, keepCarriageReturn: true);
        var records = Csv.Parse(lines, delimiter, source);
        if (records.Count == 0)
            throw new InvalidDataException($"{source}: the file holds only blank lines; expected a header row with column(s) {string.Join(", ", required)}.");
        var header = records[0];
        var names = header.Fields.Select(f => f.Trim()).ToList();
        var wanted = required.Concat(optional).ToArray();
        var indices = new int[wanted.Length];
        for (var w = 0; w < wanted.Length; w++)
        {
            var matches = names.Select((n, i) => (n, i)).Where(p => string.Equals(p.n, wanted[w], StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count > 1)
                throw new InvalidDataException($"{source}, line {header.LineNumber}: column '{wanted[w]}' appears {matches.Count} times in the header.");
            indices[w] = matches.Count == 1 ? matches[0].i : -1;
            if (indices[w] < 0 && w < required.Length)
                throw new InvalidDataException(
                    $"{source}, line {header.LineNumber}: no column '{wanted[w]}' in the header (found: {string.Join(", ", names.Select(n => "'" + n + "'"))}; " +
                    $"delimiter '{Csv.Describe(delimiter)}').");
        }
        var rows = new List<Row>(records.Count - 1);
        for (var r = 1; r < records.Count; r++)
        {
            var record = records[r];
            if (record.Fields.Count != header.Fields.Count)
                throw new InvalidDataException(
                    $"{source}, line {record.LineNumber}: {record.Fields.Count} field(s) but the header has {header.Fields.Count} " +
                    $"(delimiter '{Csv.Describe(delimiter)}'; quote fields that contain it).");
            rows.Add(new Row(record.LineNumber, indices.Select(i => i < 0 ? null : record.Fields[i]).ToArray()));
        }
        if (rows.Count == 0)
            throw new InvalidDataException($"{source}: a header but no data rows; expected at least one example.");
        return new Table(source, rows);
    }

    private sealed record Row(int LineNumber, string?[] Values);

    private sealed record Table(string Source, List<Row> Rows);
}
