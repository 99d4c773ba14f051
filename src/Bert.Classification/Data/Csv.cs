using System.Text;

namespace Bert.Classification.Data;

/// <summary>
/// RFC 4180 reading and writing: fields separated by a delimiter, optionally enclosed in double quotes, a quote
/// inside a quoted field doubled (<c>""</c>), delimiters and line breaks allowed inside quoted fields, LF, CRLF or (a file
/// without LF) classic Mac CR line ends, UTF-8 with or without a byte-order mark. Blank lines between records are skipped (as pandas does).
/// A quote inside an unquoted field is kept literally (as Python's csv module does).
/// </summary>
internal static class Csv
{
    /// <summary>Parses decoded physical lines (with any '\r' kept) into records.</summary>
    /// <exception cref="InvalidDataException">An unterminated quoted field, or text after a closing quote: names the source and line.</exception>
    public static List<CsvRecord> Parse(IReadOnlyList<string> lines, char delimiter, string sourceName)
    {
        var records = new List<CsvRecord>();
        var field = new StringBuilder();
        var li = 0;
        while (li < lines.Count)
        {
            var line = lines[li];
            if (line.Length == 0 || line == "\r")
            {
                li++;
                continue;
            }
            var startLine = li + 1;
            var fields = new List<string>();
            var i = 0;
            while (true)
            {
                field.Clear();
                if (i < line.Length && line[i] == '"')
                {
                    var quoteLine = li + 1;
                    i++;
                    while (true)
                    {
                        if (i >= line.Length)
                        {
                            li++;
                            if (li >= lines.Count)
                                throw new InvalidDataException($"{sourceName}, line {quoteLine}: a quoted field is not closed before the end of the file (truncated file or a stray '\"').");
                            field.Append('\n');
                            line = lines[li];
                            i = 0;
                            continue;
                        }
                        var c = line[i];
                        if (c == '"')
                        {
                            if (i + 1 < line.Length && line[i + 1] == '"')
                            {
                                field.Append('"');
                                i += 2;
                                continue;
                            }
                            i++;
                            break;
                        }
                        field.Append(c);
                        i++;
                    }
                    fields.Add(field.ToString());
                    if (i < line.Length && line[i] == delimiter)
                    {
                        i++;
                        continue;
                    }
                    if (i == line.Length || (i == line.Length - 1 && line[i] == '\r'))
                        break;
                    throw new InvalidDataException($"{sourceName}, line {li + 1}: unexpected character '{line[i]}' after the closing quote of a field; expected '{Describe(delimiter)}' or the end of the line (quote the whole field and double the quotes inside it).");
                }
                var end = line.IndexOf(delimiter, i);
                if (end >= 0)
                {
                    fields.Add(line[i..end]);
                    i = end + 1;
                    continue;
                }
                var last = line.Length > i && line[^1] == '\r' ? line[i..^1] : line[i..];
                fields.Add(last);
                break;
            }
            records.Add(new CsvRecord(startLine, fields));
            li++;
        }
        return records;
    }

    /// <summary>Writes a header and rows as UTF-8 (no byte-order mark) with '\n' line ends, quoting only where needed.</summary>
    public static void Write(Stream stream, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows, char delimiter)
    {
        using var writer = new StreamWriter(stream, StrictTextFile.StrictUtf8, bufferSize: 65536, leaveOpen: true) { NewLine = "\n" };
        WriteRow(writer, header, delimiter);
        foreach (var row in rows)
        {
            if (row.Count != header.Count)
                throw new ArgumentException($"A row has {row.Count} fields; the header has {header.Count}.", nameof(rows));
            WriteRow(writer, row, delimiter);
        }
    }

    private static void WriteRow(StreamWriter writer, IReadOnlyList<string> fields, char delimiter)
    {
        for (var i = 0; i < fields.Count; i++)
        {
            if (i > 0)
                writer.Write(delimiter);
            var value = fields[i];
            // A lone empty field is quoted so that the row is not a blank line (Python's csv does the same).
            var quote = value.Length == 0 ? fields.Count == 1 : value.AsSpan().IndexOfAny(['"', '\r', '\n', delimiter]) >= 0;
            if (!quote)
            {
                writer.Write(value);
                continue;
            }
            writer.Write('"');
            writer.Write(value.Replace("\"", "\"\"", StringComparison.Ordinal));
            writer.Write('"');
        }
        writer.Write('\n');
    }

    /// <summary>A readable name for a delimiter in messages.</summary>
    public static string Describe(char delimiter) => delimiter switch
    {
        '\t' => "\\t",
        _ => delimiter.ToString(),
    };
}
