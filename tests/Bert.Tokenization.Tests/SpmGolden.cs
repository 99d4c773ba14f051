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
    public static string Unescape(string text) => Encoding.UTF8.GetString(UnescapeUtf8(text));

    /// <summary>
    /// Reverses the goldens' escapes (\\ \t \r \n \uXXXX, and \xHH for a byte that is not UTF-8, used by the
    /// MeCab goldens) into UTF-8 bytes.
    /// </summary>
    public static byte[] UnescapeUtf8(string text)
    {
        var bytes = new List<byte>(text.Length * 2);
        var literal = new StringBuilder();
        void Flush()
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(literal.ToString()));
            literal.Clear();
        }
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                literal.Append(text[i]);
                continue;
            }
            var next = text[++i];
            switch (next)
            {
                case '\\': literal.Append('\\'); break;
                case 't': literal.Append('\t'); break;
                case 'r': literal.Append('\r'); break;
                case 'n': literal.Append('\n'); break;
                case 'u':
                    literal.Append((char)int.Parse(text.AsSpan(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                case 'x':
                    Flush();
                    bytes.Add(byte.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 2;
                    break;
                default: throw new InvalidDataException($"Unknown escape \\{next} in '{text}'.");
            }
        }
        Flush();
        return [.. bytes];
    }

    public override string ToString() =>
        $"line {Line} (lower={Lower}) '{(Text.Length > 60 ? Text[..60] + "…" : Text)}'";
}
