using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Bert.Core;
using Bert.Core.Embeddings;
using Bert.Tokenization;

namespace Bert.Cli.Commands;

/// <summary><c>bert embed</c>: one sentence embedding per input line, as JSON lines.</summary>
internal static class EmbedCommand
{
    private static readonly string[] PoolingChoices = ["cls", "pooler", "mean", "max"];

    /// <summary>Lines read, embedded and written at a time, so that long inputs stream.</summary>
    private const int ChunkLines = 256;

    private static readonly Option<string?> Model = new("--model") { Description = "A Hugging Face model folder: config.json, model.safetensors or pytorch_model.bin, vocab.txt or a SentencePiece *.model." };
    private static readonly Option<string?> Config = new("--config") { Description = "config.json / bert_config.json of the checkpoint (with --checkpoint, instead of --model)." };
    private static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "Weights: a TensorFlow prefix, a .safetensors or .bin file, or a Hugging Face folder (with --config)." };
    private static readonly Option<string?> Spm = new("--spm") { Description = "SentencePiece model (instead of the folder's tokenizer; with --config, this or --vocab is required)." };
    private static readonly Option<string?> Vocab = new("--vocab") { Description = "WordPiece vocab.txt (instead of the folder's tokenizer)." };
    private static readonly Option<string> Pooling = new("--pooling") { Description = "cls | pooler | mean | max: how token vectors become one vector.", DefaultValueFactory = _ => "mean" };
    private static readonly Option<bool> Normalize = new("--normalize") { Description = "Scale every embedding to unit length (for cosine similarity)." };
    private static readonly Option<bool> LowerCase = new("--lower-case") { Description = "Lower-case texts (uncased models). Default: do_lower_case of the folder's tokenizer_config.json." };
    private static readonly Option<int?> MaxSeqLen = new("--max-seq-len") { Description = "Truncate texts to this many pieces with [CLS]/[SEP]. Default: the model's positions." };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Texts per forward pass.", DefaultValueFactory = _ => 32 };

    public static Command Create()
    {
        var command = new Command("embed", """
            Sentence embeddings: reads one text per line from standard input and writes one JSON object per line,
            {"text": ..., "embedding": [...]}, in input order (an empty line is the empty text).
            Examples:
              bert embed --model all-MiniLM-L6-v2 --normalize < sentences.txt > embeddings.jsonl
              bert embed --config bert_config.json --checkpoint model.ckpt-1400000 --spm wiki-ja.model --pooling cls < ja.txt
            """)
        { Model, Config, Checkpoint, Spm, Vocab, Pooling, Normalize, LowerCase, MaxSeqLen, BatchSize };
        command.SetAction((result, token) => Task.FromResult(Cli.Run(() => Run(result, token))));
        return command;
    }

    private static int Run(ParseResult args, CancellationToken token)
    {
        var options = new TextEmbedderOptions
        {
            Pooling = PoolingNames.Parse(args.GetValue(Pooling)!, PoolingChoices),
            Normalize = args.GetValue(Normalize),
            LowerCase = args.GetValue(LowerCase) ? true : null,
            MaxSequenceLength = args.GetValue(MaxSeqLen),
            BatchSize = args.GetValue(BatchSize),
        };
        using var embedder = Load(args, options);
        using var stdout = Console.OpenStandardOutput();
        using var json = new Utf8JsonWriter(stdout, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var lines = new List<string>(ChunkLines);
        using var input = InputLines.StandardInput().GetEnumerator();
        for (string? line = input.MoveNext() ? input.Current : null; ; line = input.MoveNext() ? input.Current : null)
        {
            if (line is not null) lines.Add(line);
            if (lines.Count == ChunkLines || (line is null && lines.Count > 0))
            {
                Write(json, stdout, lines, embedder.EmbedBatch(lines, token));
                lines.Clear();
            }
            if (line is null) break;
        }
        return 0;
    }

    private static TextEmbedder Load(ParseResult args, TextEmbedderOptions options)
    {
        string? model = args.GetValue(Model), config = args.GetValue(Config), checkpoint = args.GetValue(Checkpoint);
        string? spm = args.GetValue(Spm), vocab = args.GetValue(Vocab);
        if (spm is not null && vocab is not null) throw new CliException("Give --spm or --vocab, not both.");
        string? tokenizer = spm ?? vocab;
        if (model is not null)
        {
            if (config is not null || checkpoint is not null) throw new CliException("Give --model, or --config with --checkpoint, not both.");
            if (File.Exists(Path.Combine(model, "serving.json")) && !File.Exists(Path.Combine(model, "config.json")))
                throw new CliException($"{model} is an ONNX export (serving.json): embed reads a model folder (config.json with model.safetensors or pytorch_model.bin), e.g. the classifier folder it was exported from.");
            if (tokenizer is null) return TextEmbedder.Load(model, options);
            config = model;
            checkpoint = model;
        }
        else if (config is null || checkpoint is null)
        {
            throw new CliException("Give --model DIR, or --config FILE with --checkpoint PATH.");
        }
        if (Directory.Exists(config))
            config = new[] { "config.json", "bert_config.json" }.Select(n => Path.Combine(config, n)).FirstOrDefault(File.Exists)
                ?? throw new CliException($"{config} holds no config.json or bert_config.json.");
        if (tokenizer is null) throw new CliException("With --config and --checkpoint, give the tokenizer: --spm MODEL or --vocab vocab.txt.");
        var indexerOptions = new WordPieceIndexerOptions { LowerCase = options.LowerCase ?? false };
        if (options.MaxSequenceLength is { } length) indexerOptions.MaxSequenceLength = length;
        else indexerOptions.MaxSequenceLength = BertConfig.FromJsonFile(config).MaxPositionEmbeddings;
        var indexer = BertIndexer.Load(tokenizer, indexerOptions);
        return TextEmbedder.Load(config, checkpoint, indexer, options);
    }

    private static void Write(Utf8JsonWriter json, Stream stdout, IReadOnlyList<string> texts, IReadOnlyList<float[]> embeddings)
    {
        for (int i = 0; i < texts.Count; i++)
        {
            json.WriteStartObject();
            json.WriteString("text", texts[i]);
            json.WriteStartArray("embedding");
            foreach (float v in embeddings[i]) json.WriteNumberValue(v); // shortest round-trip form, invariant culture
            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
            json.Reset();
            stdout.WriteByte((byte)'\n');
        }
        stdout.Flush();
    }
}
