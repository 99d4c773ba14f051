using System.CommandLine;
using Bert.Tokenization;

namespace Bert.Cli.Commands;

/// <summary><c>bert tokenize</c> and <c>bert stats</c>: what the SentencePiece indexer makes of text.</summary>
internal static class TokenizeCommand
{
    private static readonly Option<string> Spm = new("--spm") { Description = "SentencePiece model.", Required = true };
    private static readonly Option<bool> Lower = new("--lower") { Description = "Lower-case before encoding (keeps [CLS]-style tokens)." };
    private static readonly Option<string> Data = new("--data") { Description = "Text file, one text per line.", Required = true };

    public static Command CreateTokenize()
    {
        var command = new Command("tokenize", """
            Read lines from standard input; write, per line: the input, a tab, the piece ids (no [CLS]/[SEP]), a tab, the pieces.
            Example:
              bert tokenize --spm wiki-ja.model < sentences.txt > out.tsv
            """)
        { Spm, Lower };
        command.SetAction(result => Cli.Run(() =>
        {
            var indexer = Load(result);
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false)) { AutoFlush = false };
            for (string? line; (line = Console.In.ReadLine()) is not null;)
            {
                var tokens = indexer.Tokenize(line);
                stdout.Write(Tsv.Escape(line));
                stdout.Write('\t');
                stdout.Write(string.Join(' ', tokens.Ids));
                stdout.Write('\t');
                stdout.Write(string.Join(' ', tokens.Pieces));
                stdout.Write('\n');
            }
            return 0;
        }));
        return command;
    }

    public static Command CreateStats()
    {
        var command = new Command("stats", """
            Length statistics of a data set in pieces (longest, percentiles, share of <unk>), to choose --max-seq-len.
            Example:
              bert stats --spm wiki-ja.model --data sentences.txt
            """)
        { Spm, Lower, Data };
        command.SetAction(result => Cli.Run(() =>
        {
            var indexer = Load(result);
            string data = result.GetValue(Data)!;
            if (!File.Exists(data)) throw new CliException($"{data} does not exist.");
            Console.WriteLine(SequenceLengthStats.Measure(indexer, File.ReadLines(data).Where(l => l.Length > 0)).ToString());
            return 0;
        }));
        return command;
    }

    private static SentencePieceIndexer Load(ParseResult result)
    {
        string spm = result.GetValue(Spm)!;
        if (!File.Exists(spm)) throw new CliException($"The SentencePiece model {spm} does not exist.");
        return SentencePieceIndexer.Load(spm, new SentencePieceIndexerOptions { LowerCase = result.GetValue(Lower) });
    }
}
