using System.Text;

namespace Bert.Classification.Data;

/// <summary>
/// How <see cref="LabeledTextFiles"/> reads a table of examples: the names of its columns (matched case-insensitively),
/// the kind of target in the label column, the encoding and the format.
/// </summary>
public sealed class TextTableOptions
{
    /// <summary>What the label column holds: one label, labels joined by <see cref="LabelSeparator"/>, or a number. Default single-label.</summary>
    public ProblemType ProblemType { get; set; } = ProblemType.SingleLabel;

    /// <summary>The text column. Default <c>text</c>.</summary>
    public string TextColumn { get; set; } = "text";

    /// <summary>The optional second-text column (sentence pairs), used when the table has it. Default <c>text2</c>.</summary>
    public string Text2Column { get; set; } = "text2";

    /// <summary>The label (target) column. Default <c>label</c>.</summary>
    public string LabelColumn { get; set; } = "label";

    /// <summary>The optional id column (<see cref="TextExample.Id"/>). Default <c>id</c>.</summary>
    public string IdColumn { get; set; } = "id";

    /// <summary>The optional group column (<see cref="TextExample.GroupId"/>). Default <c>group</c>.</summary>
    public string GroupColumn { get; set; } = "group";

    /// <summary>Separates the labels of a multi-label target in one field. Default '|'.</summary>
    public char LabelSeparator { get; set; } = '|';

    /// <summary>
    /// The files' encoding; decoding is strict (an invalid byte is an error naming the file and line). Default UTF-8
    /// (a byte-order mark is accepted). Code pages such as EUC-JP or Shift_JIS need
    /// <c>Encoding.RegisterProvider(CodePagesEncodingProvider.Instance)</c> first. UTF-16 and UTF-32 are not supported.
    /// </summary>
    public Encoding Encoding { get; set; } = Encoding.UTF8;

    /// <summary>
    /// The CSV field delimiter; null: tab for <c>.tsv</c>/<c>.tab</c> files, comma otherwise. Files named
    /// <c>.jsonl</c>/<c>.ndjson</c> are read as JSON lines (one object per line) whatever this says.
    /// </summary>
    public char? Delimiter { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first property out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(ProblemType))
            throw new ArgumentException($"{nameof(ProblemType)} has the unknown value {(int)ProblemType}.", nameof(ProblemType));
        foreach (var (value, name) in new[] { (TextColumn, nameof(TextColumn)), (Text2Column, nameof(Text2Column)), (LabelColumn, nameof(LabelColumn)), (IdColumn, nameof(IdColumn)), (GroupColumn, nameof(GroupColumn)) })
        {
            if (string.IsNullOrWhiteSpace(value))
                throw new ArgumentException($"{name} must name a column.", name);
        }
        ArgumentNullException.ThrowIfNull(Encoding, nameof(Encoding));
        if (Encoding is UnicodeEncoding or UTF32Encoding)
            throw new ArgumentException($"{nameof(Encoding)} {Encoding.WebName} is not supported: convert the file to UTF-8.", nameof(Encoding));
        if (Delimiter is '"' or '\n' or '\r')
            throw new ArgumentException($"{nameof(Delimiter)} cannot be a quote or a line break.", nameof(Delimiter));
        if (char.IsWhiteSpace(LabelSeparator) && LabelSeparator != '\t' || LabelSeparator == '"')
            throw new ArgumentException($"{nameof(LabelSeparator)} cannot be a space, line break or quote.", nameof(LabelSeparator));
    }
}
