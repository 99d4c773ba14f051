using System.Globalization;
using System.Text;

namespace Bert.Tokenization.Tests;

/// <summary>One line of the spm_encode goldens written by TestData/spm/make_goldens.py.</summary>
internal sealed record SpmGolden(int Line, bool Lower, string Text, int[] Ids, string[] Pieces)
{
    public static string TestDataPath(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "spm", name);

    public static IReadOnlyList<SpmGolden> Read(string name)
    {
        var lines = File.ReadAllLines(TestDataPath(name), Encoding.UTF8);
        return lines.Select((line, i) =>
        {
            var fields = line.Split('\t');
            if (fields.Length != 4)
                throw new InvalidDataException($"{name} line {i + 1}: expected 4 tab-separated fields, found {fields.Length}.");
            return new SpmGolden(
                i + 1,
                fields[0] == "1",
                Unescape(fields[1]),
                fields[2].Length == 0 ? [] : fields[2].Split(' ').Select(int.Parse).ToArray(),
                fields[3].Length == 0 ? [] : fields[3].Split(' ').Select(Unescape).ToArray());
        }).ToList();
    }

    /// <summary>Reverses make_goldens.py's escape(): \\ \t \r \n and \uXXXX.</summary>
    public static string Unescape(string text)
    {
        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                builder.Append(text[i]);
                continue;
            }
            var next = text[++i];
            switch (next)
            {
                case '\\': builder.Append('\\'); break;
                case 't': builder.Append('\t'); break;
                case 'r': builder.Append('\r'); break;
                case 'n': builder.Append('\n'); break;
                case 'u':
                    builder.Append((char)int.Parse(text.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default: throw new InvalidDataException($"Unknown escape \\{next} in '{text}'.");
            }
        }
        return builder.ToString();
    }

    public override string ToString() =>
        $"line {Line} (lower={Lower}) '{(Text.Length > 60 ? Text[..60] + "…" : Text)}'";
}
