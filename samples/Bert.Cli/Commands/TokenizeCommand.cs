using System.CommandLine;
using Bert.Tokenization;

namespace Bert.Cli.Commands;

/// <summary><c>bert tokenize</c> and <c>bert stats</c>: what an indexer (SentencePiece, or a tokenizer folder) makes of text.</summary>
internal static class TokenizeCommand
{
    private static readonly Option<string> Spm = new("--spm") { Description = "SentencePiece model (or give --tokenizer)." };
    private static readonly Option<string> Tokenizer = new("--tokenizer")
    {
        Description = "Tokenizer folder: a Hugging Face folder (vocab.txt + tokenizer_config.json, e.g. BertJapaneseTokenizer with MeCab), a *.model or a vocab.txt.",
    };
    private static readonly Option<string> MeCabDicDir = new("--mecab-dicdir")
    {
        Description = "Compiled MeCab dictionary folder for a MeCab tokenizer whose config names a Python package (ipadic, unidic_lite), e.g. /var/lib/mecab/dic/ipadic-utf8.",
    };
    private static readonly Option<bool> Lower = new("--lower") { Description = "Lower-case before encoding (keeps [CLS]-style tokens); a MeCab folder's tokenizer_config.json (do_lower_case) decides for itself." };
    private static readonly Option<string> Data = new("--data") { Description = "Text file, one text per line.", Required = true };

    public static Command CreateTokenize()
    {
        var command = new Command("tokenize", """
            Read lines from standard input; write, per line: the input, a tab, the piece ids (no [CLS]/[SEP]), a tab, the pieces.
            Example:
              bert tokenize --spm wiki-ja.model < sentences.txt > out.tsv
              bert tokenize --tokenizer bert-base-japanese --mecab-dicdir /var/lib/mecab/dic/ipadic-utf8 < sentences.txt
            """)
        { Spm, Tokenizer, MeCabDicDir, Lower };
        command.SetAction(result => Cli.Run(() =>
        {
            var indexer = Load(result);
            using var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false)) { AutoFlush = false };
            foreach (var line in InputLines.StandardInput())
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
        { Spm, Tokenizer, MeCabDicDir, Lower, Data };
        command.SetAction(result => Cli.Run(() =>
        {
            var indexer = Load(result);
            string data = result.GetValue(Data)!;
            if (!File.Exists(data)) throw new CliException($"{data} does not exist.");
            Console.WriteLine(SequenceLengthStats.Measure(indexer, InputLines.OfFile(data).Where(l => l.Length > 0)).ToString());
            return 0;
        }));
        return command;
    }

    private static IBertIndexer Load(ParseResult result)
    {
        string? spm = result.GetValue(Spm);
        string? tokenizer = result.GetValue(Tokenizer);
        if ((spm is null) == (tokenizer is null)) throw new CliException("Give either --spm MODEL or --tokenizer FOLDER.");
        if (spm is not null)
        {
            if (!File.Exists(spm)) throw new CliException($"The SentencePiece model {spm} does not exist.");
            return SentencePieceIndexer.Load(spm, new SentencePieceIndexerOptions { LowerCase = result.GetValue(Lower) });
        }
        if (!File.Exists(tokenizer) && !Directory.Exists(tokenizer)) throw new CliException($"The tokenizer {tokenizer} does not exist.");
        // Without --lower or --mecab-dicdir a folder is read as Hugging Face reads it (tokenizer_config.json's do_lower_case,
        // special and added tokens); with them, the given settings apply (a MeCab folder's configuration still decides
        // lower-casing; the dictionary folder applies to MeCab tokenizers only).
        if (!result.GetValue(Lower) && result.GetValue(MeCabDicDir) is null)
            return BertIndexer.Load(tokenizer!);
        return BertIndexer.Load(tokenizer!, new BertJapaneseIndexerOptions
        {
            LowerCase = result.GetValue(Lower),
            MeCabDictionaryFolder = result.GetValue(MeCabDicDir),
        });
    }
}
