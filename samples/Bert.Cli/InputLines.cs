using Bert.Core.Pretraining;
using Bert.Tokenization;

namespace Bert.Cli;

/// <summary>
/// The lines of standard input or of a data file, each at most <see cref="PretrainingCorpus.MaxLineChars"/> characters
/// (read through the libraries' bounded line reader): <c>/dev/zero</c> or a file with no line breaks is refused at the
/// limit, naming the source and the line, instead of growing one string until memory runs out.
/// </summary>
internal static class InputLines
{
    /// <summary>The lines of standard input.</summary>
    /// <exception cref="InvalidDataException">A line is too long.</exception>
    public static IEnumerable<string> StandardInput() => Read(Console.In, "standard input");

    /// <summary>The lines of a UTF-8 text file, read as they are enumerated.</summary>
    /// <exception cref="InvalidDataException">A line is too long.</exception>
    public static IEnumerable<string> OfFile(string path)
    {
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        foreach (var line in Read(reader, $"data file '{path}'"))
            yield return line;
    }

    private static IEnumerable<string> Read(TextReader reader, string source)
    {
        int number = 0;
        while (BoundedFile.ReadLine(reader, PretrainingCorpus.MaxLineChars, source, ++number) is { } line)
            // A byte order mark (Windows editors write one) is not part of the first text.
            yield return number == 1 && line.StartsWith('\uFEFF') ? line[1..] : line;
    }
}
