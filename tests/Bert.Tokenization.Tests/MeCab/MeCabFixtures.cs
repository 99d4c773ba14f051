using System.Diagnostics;
using System.Text;
using Bert.Tests;
using Bert.Tokenization.MeCab;

namespace Bert.Tokenization.Tests.MeCab;

/// <summary>
/// The Debian dictionaries the MeCab tests read (packages mecab-ipadic-utf8 and mecab-jumandic-utf8), loaded once
/// per test run, and helpers to run the real <c>mecab</c> binary (package mecab) as the reference.
/// </summary>
internal static class MeCabFixtures
{
    public const string Ipadic = MeCabPaths.Ipadic;
    public const string Jumandic = MeCabPaths.Jumandic;
    public const string MecabBinary = MeCabPaths.MecabBinary;

    private static readonly Dictionary<string, Lazy<MeCabTagger>> Taggers = new()
    {
        [Ipadic] = new(() => MeCabTagger.Load(Ipadic)),
        [Jumandic] = new(() => MeCabTagger.Load(Jumandic)),
    };

    public static MeCabTagger Tagger(string folder) => Taggers[folder].Value;

    public static string TestData(string file) => Path.Combine(AppContext.BaseDirectory, "TestData", "mecab", file);

    /// <summary>Runs <c>mecab</c> with <paramref name="arguments"/> on <paramref name="input"/>; returns its standard output.</summary>
    public static byte[] RunMecab(byte[] input, params string[] arguments)
    {
        var start = new ProcessStartInfo(MecabBinary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        var error = process.StandardError.ReadToEndAsync();
        process.StandardInput.BaseStream.Write(input);
        process.StandardInput.Close();
        copy.Wait();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, "mecab failed: " + error.Result);
        return output.ToArray();
    }

    /// <summary>Splits on '\n' only; a final '\n' ends the last line (no empty line after it).</summary>
    public static List<byte[]> SplitLines(byte[] data)
    {
        var lines = new List<byte[]>();
        var start = 0;
        for (var i = 0; i < data.Length; i++)
        {
            if (data[i] != '\n')
                continue;
            lines.Add(data[start..i]);
            start = i + 1;
        }
        if (start < data.Length)
            lines.Add(data[start..]);
        return lines;
    }

    /// <summary>What <c>mecab -Owakati</c> prints for one line: each word, then a space; then '\n'.</summary>
    public static void AppendWakati(MeCabTagger tagger, byte[] line, List<byte> output)
    {
        foreach (var word in tagger.WakatiUtf8(line))
        {
            output.AddRange(line.AsSpan()[word].ToArray());
            output.Add((byte)' ');
        }
        output.Add((byte)'\n');
    }

    /// <summary>Undoes the goldens' escapes (\\ \t \r \n \uXXXX \xHH) into UTF-8 bytes.</summary>
    public static byte[] Unescape(string text) => SpmGolden.UnescapeUtf8(text);

    /// <summary>Every KNBC sentence (column 2 of shared/data/knbc/corpus2/*.tsv, EUC-JP), in file order.</summary>
    public static List<string> KnbcSentences()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var eucJp = Encoding.GetEncoding("euc-jp");
        var sentences = new List<string>();
        foreach (var file in Directory.GetFiles(SharedData.PathOf("data/knbc/corpus2"), "*.tsv").Order(StringComparer.Ordinal))
        {
            foreach (var line in File.ReadAllLines(file, eucJp))
            {
                var columns = line.Split('\t');
                if (columns.Length > 1)
                    sentences.Add(columns[1]);
            }
        }
        return sentences;
    }
}
