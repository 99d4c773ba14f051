using System.Globalization;
using System.Text.Json;
using Bert.Core.IO;

namespace Bert.Classification.Data;

/// <summary>
/// Readers and writers for examples in CSV/TSV files (RFC 4180: quoted fields may hold delimiters, quotes and line
/// breaks) and JSON lines, in UTF-8 or an encoding the caller names (<see cref="TextTableOptions.Encoding"/>):
/// <list type="bullet">
/// <item>the reference run's layout: a folder with <c>features.csv</c> (column <c>feature</c>, optional
/// <c>feature2</c> for sentence pairs) and <c>labels.csv</c> (column <c>label</c>), one row per example in the same
/// order (other columns, e.g. a pandas index, are ignored);</item>
/// <item>a table with named columns (<see cref="TextTableOptions"/>; by default <c>text</c>, <c>label</c> and the
/// optional <c>text2</c>, <c>id</c>, <c>group</c>): comma- or tab-separated, or JSON lines (<c>.jsonl</c>).</item>
/// </list>
/// The label column holds one label, labels joined by '|' (multi-label; an empty field is the empty set), or a number
/// in the invariant culture (regression), as <see cref="TextTableOptions.ProblemType"/> says; in JSON lines a
/// multi-label target may also be an array of strings and a regression target a number.
/// Errors name the file and line: <see cref="InvalidDataException"/> for malformed content (invalid bytes, a missing
/// column, a row with the wrong number of fields, an empty label, a number that does not parse, mismatched row
/// counts, no rows), <see cref="FileNotFoundException"/> for a missing file, <see cref="ArgumentException"/> for a
/// directory given as a file. Writers are atomic (temporary file, then rename) and write UTF-8 without a byte-order
/// mark, '\n' line ends.
/// </summary>
public static class LabeledTextFiles
{
    /// <summary>The features file of the reference layout: <c>features.csv</c>.</summary>
    public const string FeaturesFileName = "features.csv";

    /// <summary>The labels file of the reference layout: <c>labels.csv</c>.</summary>
    public const string LabelsFileName = "labels.csv";

    /// <summary>The text column of <c>features.csv</c>: <c>feature</c>.</summary>
    public const string FeatureColumn = "feature";

    /// <summary>The optional second-text column of <c>features.csv</c> (sentence pairs): <c>feature2</c>.</summary>
    public const string Feature2Column = "feature2";

    /// <summary>The label column of <c>labels.csv</c>: <c>label</c>.</summary>
    public const string LabelColumn = "label";

    /// <summary>Reads <c>features.csv</c> and <c>labels.csv</c> from <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder holding both files.</param>
    /// <param name="options">The target kind, label separator and encoding (column names are fixed); null for single-label UTF-8.</param>
    /// <returns>One example per row, in file order.</returns>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is a file, or a CSV path is a directory.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">Malformed content or different row counts, naming the file and line.</exception>
    public static IReadOnlyList<TextExample> LoadFeaturesAndLabels(string directory, TextTableOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (File.Exists(directory))
            throw new ArgumentException($"'{directory}' is a file; expected the folder that holds {FeaturesFileName} and {LabelsFileName}.", nameof(directory));
        return LoadFeaturesAndLabels(Path.Combine(directory, FeaturesFileName), Path.Combine(directory, LabelsFileName), options);
    }

    /// <summary>Reads a features file (column <c>feature</c>, optional <c>feature2</c>) and a labels file (column <c>label</c>) row by row.</summary>
    /// <param name="featuresPath">The CSV with column <c>feature</c>.</param>
    /// <param name="labelsPath">The CSV with column <c>label</c>, as many rows as <paramref name="featuresPath"/>.</param>
    /// <param name="options">The target kind, label separator and encoding; null for single-label UTF-8.</param>
    /// <returns>One example per row, in file order.</returns>
    /// <exception cref="ArgumentException">A path is a directory.</exception>
    /// <exception cref="FileNotFoundException">A file is missing.</exception>
    /// <exception cref="InvalidDataException">Malformed content or different row counts, naming the file and line.</exception>
    public static IReadOnlyList<TextExample> LoadFeaturesAndLabels(string featuresPath, string labelsPath, TextTableOptions? options = null)
    {
        options = Checked(options);
        return Combine(
            ParseColumns(StrictTextFile.ReadAllBytes(featuresPath, nameof(featuresPath)), featuresPath, ',', [FeatureColumn], [Feature2Column], options.Encoding),
            ParseColumns(StrictTextFile.ReadAllBytes(labelsPath, nameof(labelsPath)), labelsPath, ',', [LabelColumn], [], options.Encoding), options);
    }

    /// <summary>Reads features (column <c>feature</c>, optional <c>feature2</c>) and labels (column <c>label</c>) from two CSV streams.</summary>
    /// <param name="features">The features CSV.</param>
    /// <param name="labels">The labels CSV, as many rows as <paramref name="features"/>.</param>
    /// <param name="featuresName">The name of the features source in error messages.</param>
    /// <param name="labelsName">The name of the labels source in error messages.</param>
    /// <param name="options">The target kind, label separator and encoding; null for single-label UTF-8.</param>
    /// <returns>One example per row, in order.</returns>
    /// <exception cref="InvalidDataException">Malformed content or different row counts, naming the source and line.</exception>
    public static IReadOnlyList<TextExample> LoadFeaturesAndLabels(
        Stream features, Stream labels, string featuresName = FeaturesFileName, string labelsName = LabelsFileName, TextTableOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentException.ThrowIfNullOrWhiteSpace(featuresName);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelsName);
        options = Checked(options);
        return Combine(
            ParseColumns(StrictTextFile.ReadAllBytes(features, featuresName), featuresName, ',', [FeatureColumn], [Feature2Column], options.Encoding),
            ParseColumns(StrictTextFile.ReadAllBytes(labels, labelsName), labelsName, ',', [LabelColumn], [], options.Encoding), options);
    }

    /// <summary>
    /// Writes <c>features.csv</c> (with <c>feature2</c> when the examples are pairs) and <c>labels.csv</c> into
    /// <paramref name="directory"/> (created if needed), each atomically; targets as <see cref="TextExample.FormatTarget"/> writes them.
    /// </summary>
    /// <param name="directory">The destination folder.</param>
    /// <param name="examples">The examples; texts and targets are written in this order.</param>
    /// <exception cref="ArgumentException">A null example, mixed problem types, or pairs mixed with single texts.</exception>
    public static void SaveFeaturesAndLabels(string directory, IEnumerable<TextExample> examples)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var list = CheckForWriting(examples);
        bool pairs = list.Count > 0 && list[0].Text2 is not null;
        Directory.CreateDirectory(directory);
        AtomicFile.Write(Path.Combine(directory, FeaturesFileName), s => Csv.Write(s, pairs ? [FeatureColumn, Feature2Column] : [FeatureColumn],
            list.Select(e => (IReadOnlyList<string>)(pairs ? [e.Text, e.Text2!] : [e.Text])), ','));
        AtomicFile.Write(Path.Combine(directory, LabelsFileName), s => Csv.Write(s, [LabelColumn], list.Select(e => (IReadOnlyList<string>)[e.FormatTarget()]), ','));
    }

    /// <summary>
    /// Reads a table with a header row holding the text and label columns of <paramref name="options"/> (other
    /// columns ignored except the optional second text, id and group), or JSON lines when the file is named
    /// <c>.jsonl</c> or <c>.ndjson</c>.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="options">Column names, target kind, encoding and delimiter; null for the defaults.</param>
    /// <returns>One example per row, in file order.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is a directory.</exception>
    /// <exception cref="FileNotFoundException">The file is missing.</exception>
    /// <exception cref="InvalidDataException">Malformed content, naming the file and line.</exception>
    public static IReadOnlyList<TextExample> LoadTable(string path, TextTableOptions? options = null) =>
        ParseTable(StrictTextFile.ReadAllBytes(path, nameof(path)), path, Checked(options));

    /// <summary>Reads a table from a stream (see <see cref="LoadTable(string, TextTableOptions?)"/>).</summary>
    /// <param name="stream">The content.</param>
    /// <param name="sourceName">The name used in error messages; its extension chooses the format as a file name would.</param>
    /// <param name="options">Column names, target kind, encoding and delimiter; null for the defaults.</param>
    /// <returns>One example per row, in stream order.</returns>
    /// <exception cref="InvalidDataException">Malformed content, naming <paramref name="sourceName"/> and the line.</exception>
    public static IReadOnlyList<TextExample> LoadTable(Stream stream, string sourceName, TextTableOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        return ParseTable(StrictTextFile.ReadAllBytes(stream, sourceName), sourceName, Checked(options));
    }

    /// <summary>
    /// Writes a CSV/TSV table atomically with columns <c>text</c>, <c>label</c>, and <c>text2</c>, <c>id</c>,
    /// <c>group</c> when any example has them, or JSON lines with those fields when <paramref name="path"/> ends in
    /// <c>.jsonl</c> or <c>.ndjson</c> (the label a string, an array of strings for multi-label, or a number), so that
    /// <see cref="LoadTable(string, TextTableOptions?)"/> (with the examples' problem type) gives the examples back.
    /// </summary>
    /// <param name="path">The destination file.</param>
    /// <param name="examples">The examples.</param>
    /// <param name="delimiter">The field delimiter; null: tab for a <c>.tsv</c> or <c>.tab</c> file, comma otherwise.</param>
    /// <exception cref="ArgumentException">A null example, mixed problem types or pairs mixed with single texts, a
    /// multi-label label holding '|', a delimiter given for JSON lines, or <paramref name="path"/> is a directory.</exception>
    public static void SaveTable(string path, IEnumerable<TextExample> examples, char? delimiter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var list = CheckForWriting(examples);
        var defaults = new TextTableOptions();
        if (IsJsonLines(path))
        {
            if (delimiter is not null)
                throw new ArgumentException($"'{path}' is written as JSON lines, which have no delimiter; name it .csv or .tsv for a table.", nameof(delimiter));
            AtomicFile.Write(path, s => WriteJsonLines(s, list, defaults));
            return;
        }
        var withText2 = list.Count > 0 && list[0].Text2 is not null;
        var withId = list.Any(e => e.Id is not null);
        var withGroup = list.Any(e => e.GroupId is not null);
        var header = new List<string> { defaults.TextColumn, defaults.LabelColumn };
        if (withText2) header.Add(defaults.Text2Column);
        if (withId) header.Add(defaults.IdColumn);
        if (withGroup) header.Add(defaults.GroupColumn);
        IEnumerable<IReadOnlyList<string>> Rows()
        {
            foreach (var e in list)
            {
                var row = new List<string> { e.Text, e.FormatTarget() };
                if (withText2) row.Add(e.Text2!);
                if (withId) row.Add(e.Id ?? "");
                if (withGroup) row.Add(e.GroupId ?? "");
                yield return row;
            }
        }
        AtomicFile.Write(path, s => Csv.Write(s, header, Rows(), delimiter ?? DelimiterFor(path)));
    }

    private static void WriteJsonLines(Stream stream, List<TextExample> examples, TextTableOptions names)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        foreach (var e in examples)
        {
            writer.WriteStartObject();
            writer.WriteString(names.TextColumn, e.Text);
            switch (e.ProblemType)
            {
                case ProblemType.SingleLabel:
                    writer.WriteString(names.LabelColumn, e.Label);
                    break;
                case ProblemType.MultiLabel:
                    writer.WriteStartArray(names.LabelColumn);
                    foreach (var label in e.Labels!) writer.WriteStringValue(label);
                    writer.WriteEndArray();
                    break;
                default:
                    writer.WriteNumber(names.LabelColumn, e.Value!.Value);
                    break;
            }
            if (e.Text2 is not null) writer.WriteString(names.Text2Column, e.Text2);
            if (e.Id is not null) writer.WriteString(names.IdColumn, e.Id);
            if (e.GroupId is not null) writer.WriteString(names.GroupColumn, e.GroupId);
            writer.WriteEndObject();
            writer.Flush();
            stream.WriteByte((byte)'\n');
            writer.Reset();   // one writer for the file: each line is its own JSON value
        }
    }

    private static TextTableOptions Checked(TextTableOptions? options)
    {
        options ??= new TextTableOptions();
        options.Validate();
        return options;
    }

    private static bool IsJsonLines(string name)
    {
        var extension = Path.GetExtension(name);
        return extension.Equals(".jsonl", StringComparison.OrdinalIgnoreCase) || extension.Equals(".ndjson", StringComparison.OrdinalIgnoreCase);
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
        var separator = new TextTableOptions().LabelSeparator;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null)
                throw new ArgumentException($"Example {i} is null.", nameof(examples));
            if (list[i].ProblemType != list[0].ProblemType)
                throw new ArgumentException($"Example {i} is {list[i].ProblemType} but example 0 is {list[0].ProblemType}; a file holds one kind of target.", nameof(examples));
            if ((list[i].Text2 is null) != (list[0].Text2 is null))
                throw new ArgumentException($"Example {i} {(list[i].Text2 is null ? "has no" : "has a")} second text but example 0 {(list[0].Text2 is null ? "has none" : "has one")}; pairs and single texts cannot share a file.", nameof(examples));
            if (list[i].Labels?.FirstOrDefault(l => l.Contains(separator, StringComparison.Ordinal)) is { } joined)
                throw new ArgumentException($"Example {i}'s label '{joined}' holds the multi-label separator '{separator}'; the files' readers would split it into several labels.", nameof(examples));
        }
        return list;
    }

    /// <summary>Parses a target field as <paramref name="options"/> says; errors name the source and line.</summary>
    private static TextExample Example(string text, string field, TextTableOptions options, string source, int line)
    {
        switch (options.ProblemType)
        {
            case ProblemType.SingleLabel:
                if (field.Length == 0)
                    throw new InvalidDataException($"{source}, line {line}: the label is empty.");
                return new TextExample(text, field);
            case ProblemType.MultiLabel:
                var labels = field.Length == 0 ? [] : field.Split(options.LabelSeparator);
                if (labels.Any(l => l.Length == 0))
                    throw new InvalidDataException($"{source}, line {line}: the labels '{field}' hold an empty label (labels are joined by '{options.LabelSeparator}'; an empty field is no label).");
                if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Length)
                    throw new InvalidDataException($"{source}, line {line}: the labels '{field}' repeat a label.");
                return new TextExample(text, labels);
            default:
                if (!double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                    throw new InvalidDataException($"{source}, line {line}: the target '{field}' is not a finite number (regression targets use '.' as the decimal point).");
                return new TextExample(text, value);
        }
    }

    private static List<TextExample> Combine(Table features, Table labels, TextTableOptions options)
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
            var example = Example(features.Rows[i].Values[0]!, labels.Rows[i].Values[0]!, options, labels.Source, labels.Rows[i].LineNumber);
            examples.Add(example with { Text2 = features.Rows[i].Values[1] });
        }
        return examples;
    }

    private static List<TextExample> ParseTable(byte[] bytes, string source, TextTableOptions options)
    {
        if (IsJsonLines(source))
            return ParseJsonLines(bytes, source, options);
        var table = ParseColumns(bytes, source, options.Delimiter ?? DelimiterFor(source),
            [options.TextColumn, options.LabelColumn], [options.Text2Column, options.IdColumn, options.GroupColumn], options.Encoding);
        var examples = new List<TextExample>(table.Rows.Count);
        foreach (var row in table.Rows)
        {
            examples.Add(Example(row.Values[0]!, row.Values[1]!, options, table.Source, row.LineNumber) with
            {
                Text2 = row.Values[2],
                Id = string.IsNullOrEmpty(row.Values[3]) ? null : row.Values[3],
                GroupId = string.IsNullOrEmpty(row.Values[4]) ? null : row.Values[4],
            });
        }
        return examples;
    }

    private static List<TextExample> ParseJsonLines(byte[] bytes, string source, TextTableOptions options)
    {
        var lines = StrictTextFile.DecodeLines(bytes, StrictTextFile.Strict(options.Encoding), source, allowUtf8Bom: true);
        var examples = new List<TextExample>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
                continue;
            var where = $"{source}, line {i + 1}";
            JsonElement row;
            try
            {
                using var document = JsonDocument.Parse(lines[i]);
                row = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{where}: not a JSON object ({e.Message}).", e);
            }
            if (row.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{where}: a JSON {row.ValueKind}; expected one object per line.");
            string? Field(string name, bool required)
            {
                foreach (var property in row.EnumerateObject())
                {
                    if (!string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                        continue;
                    return property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Number => property.Value.GetRawText(),
                        JsonValueKind.Null => null,
                        JsonValueKind.Array when name == options.LabelColumn && options.ProblemType == ProblemType.MultiLabel =>
                            !property.Value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String)
                                ? throw new InvalidDataException($"{where}: '{name}' must be an array of strings.")
                                // The labels are joined for the one multi-label parser; a label holding the separator would split.
                                : property.Value.EnumerateArray().FirstOrDefault(v => v.GetString()!.Contains(options.LabelSeparator)) is { ValueKind: JsonValueKind.String } joined
                                    ? throw new InvalidDataException($"{where}: the label '{joined.GetString()}' in '{name}' holds the label separator '{options.LabelSeparator}'.")
                                    : string.Join(options.LabelSeparator, property.Value.EnumerateArray().Select(v => v.GetString())),
                        _ => throw new InvalidDataException($"{where}: '{name}' is a JSON {property.Value.ValueKind}; expected a string{(name == options.LabelColumn ? ", a number or an array of strings" : "")}."),
                    };
                }
                return required ? throw new InvalidDataException($"{where}: no field '{name}' (found: {string.Join(", ", row.EnumerateObject().Select(p => "'" + p.Name + "'"))}).") : null;
            }
            var text = Field(options.TextColumn, true) ?? throw new InvalidDataException($"{where}: '{options.TextColumn}' is null.");
            var target = Field(options.LabelColumn, true) ?? "";
            examples.Add(Example(text, target, options, source, i + 1) with
            {
                Text2 = Field(options.Text2Column, false),
                Id = Field(options.IdColumn, false),
                GroupId = Field(options.GroupColumn, false),
            });
        }
        if (examples.Count == 0)
            throw new InvalidDataException($"{source}: no JSON objects; expected one example per line.");
        return examples;
    }

    private static Table ParseColumns(byte[] bytes, string source, char delimiter, string[] required, string[] optional, System.Text.Encoding encoding)
    {
        if (bytes.Length == 0)
            throw new InvalidDataException($"{source}: the file is empty; expected a header row with column(s) {string.Join(", ", required)}.");
        var lines = StrictTextFile.DecodeLines(bytes, StrictTextFile.Strict(encoding), source, allowUtf8Bom: true, keepCarriageReturn: true);
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
