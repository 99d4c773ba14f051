namespace Bert.Classification.Data;

/// <summary>One CSV record: its fields and the physical line (1-based) where it starts.</summary>
internal sealed record CsvRecord(int LineNumber, IReadOnlyList<string> Fields);
