using System.CommandLine;
using Bert.Tokenization.MeCab;

namespace Bert.Cli.Commands;

/// <summary><c>bert segment</c>: MeCab word segmentation of standard input, printed as <c>mecab -Owakati</c> does.</summary>
internal static class SegmentCommand
{
    private static readonly Option<string> DicDir = new("--mecab-dicdir")
    {
        Description = "Compiled MeCab dictionary folder (sys.dic, unk.dic, char.bin, matrix.bin, dicrc), e.g. /var/lib/mecab/dic/ipadic-utf8.",
        Required = true,
    };

    public static Command Create()
    {
        var command = new Command("segment", """
            Read lines from standard input; write each line's words, each followed by one space, then a newline:
            the output of 'mecab -Owakati -d DIR' (an empty line gives an empty line). Only '\n' ends a line.
            Example:
              bert segment --mecab-dicdir /var/lib/mecab/dic/ipadic-utf8 < sentences.txt > words.txt
            """)
        { DicDir };
        command.SetAction(result => Cli.Run(() =>
        {
            string folder = result.GetValue(DicDir)!;
            if (!Directory.Exists(folder)) throw new CliException($"The MeCab dictionary folder {folder} does not exist.");
            var tagger = MeCabTagger.Load(folder);
            using var stdin = new BufferedStream(Console.OpenStandardInput(), 1 << 16);
            using var stdout = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
            // Bytes in, bytes out: mecab cuts UTF-8 bytes, and a few dictionary words are not whole characters.
            for (var line = ReadLine(stdin); line is not null; line = ReadLine(stdin))
            {
                foreach (var word in tagger.WakatiUtf8(line))
                {
                    stdout.Write(line.AsSpan()[word]);
                    stdout.WriteByte((byte)' ');
                }
                stdout.WriteByte((byte)'\n');
            }
            return 0;
        }));
        return command;
    }

    /// <summary>The next line without its '\n' ('\r' stays, as for mecab); null at the end (no empty line after a final '\n').</summary>
    private static byte[]? ReadLine(Stream stream)
    {
        var line = new MemoryStream();
        for (int b; (b = stream.ReadByte()) >= 0;)
        {
            if (b == '\n')
                return line.ToArray();
            line.WriteByte((byte)b);
        }
        return line.Length > 0 ? line.ToArray() : null;
    }
}
