using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Bert.Core;
using Bert.Cli.SampleData;
using Bert.Core.Pretraining;
using Bert.Tokenization;
using TorchSharp;

namespace Bert.Cli.Commands;

/// <summary>
/// <c>bert pretrain</c>: pretrains a BERT (masked LM + next sentence) from its config on plain-text corpora, with
/// periodic resumable checkpoints, and writes it as a Hugging Face folder and a TensorFlow checkpoint.
/// </summary>
internal static class PretrainCommand
{
    private static readonly Option<string[]> Corpus = new("--corpus") { Description = "Corpus file (UTF-8): one sentence per line, documents separated by empty lines. Repeatable." };
    private static readonly Option<string[]> Aozora = new("--aozora") { Description = "Aozora Bunko text (UTF-8); ruby, notes, header and colophon are removed, chapters become documents. Repeatable." };
    private static readonly Option<string?> Spm = new("--spm") { Description = "SentencePiece model. Default: ../shared/models/wiki-ja/wiki-ja.model." };
    private static readonly Option<string> Config = new("--config") { Description = "bert_config.json of the model to pretrain (its vocab_size must equal the SentencePiece model's).", Required = true };
    private static readonly Option<string?> Init = new("--init") { Description = "Start from these weights (TF prefix, .safetensors or HF folder) instead of a random initialisation." };
    private static readonly Option<long> Steps = new("--steps") { Description = "Optimizer steps (batches) in total.", Required = true };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Sequences per batch.", DefaultValueFactory = _ => 32 };
    private static readonly Option<int?> MaxSeqLen = new("--max-seq-len") { Description = "Longest sequence, [CLS] and [SEP]s included. Default: 128, or max_position_embeddings when smaller." };
    private static readonly Option<double> Lr = new("--lr") { Description = "Peak learning rate of AdamWarmup.", DefaultValueFactory = _ => 1e-4 };
    private static readonly Option<double> Warmup = new("--warmup-proportion") { Description = "Share of steps for linear warmup (then linear decay to 0).", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<double> WeightDecay = new("--weight-decay") { Description = "Decoupled weight decay (not on bias/LayerNorm).", DefaultValueFactory = _ => 0.01 };
    private static readonly Option<int> MaxPredictions = new("--max-predictions") { Description = "Most masked pieces per sequence.", DefaultValueFactory = _ => 20 };
    private static readonly Option<long> Seed = new("--seed") { Description = "Seed of the initialisation, the batches and dropout.", DefaultValueFactory = _ => 12345 };
    private static readonly Option<long> CheckpointEvery = new("--checkpoint-every") { Description = "Write a resumable checkpoint every N steps (0: only at the end).", DefaultValueFactory = _ => 500 };
    private static readonly Option<int> LogEvery = new("--log-every") { Description = "Print progress every N steps.", DefaultValueFactory = _ => 10 };
    private static readonly Option<bool> Resume = new("--resume") { Description = "Continue from OUTPUT/checkpoint when it exists (the same run: same corpus, config and options; only --steps may be raised)." };
    private static readonly Option<string> Device = DeviceOption.Create();
    private static readonly Option<int> Threads = new("--threads") { Description = "CPU threads for libtorch.", DefaultValueFactory = _ => Environment.ProcessorCount };
    private static readonly Option<string> Output = new("--output") { Description = "Output folder: checkpoint/, hf/ (config.json, model.safetensors, the tokenizer), tf/ (model.ckpt-N + bert_config.json), progress.tsv.", Required = true };

    public static Command Create()
    {
        var command = new Command("pretrain", """
            Pretrain a BERT (masked LM + next-sentence prediction) on plain text.
            Examples:
              bert pretrain --corpus sentences.txt --config bert_config.json --steps 10000 --output out/pretrained
              bert pretrain --aozora ../shared/data/aozora/wagahaiwa_nekodearu.txt --config small.json --steps 3000 --batch-size 32 --max-seq-len 128 --output out/small --resume
            """)
        {
            Corpus, Aozora, Spm, Config, Init, Steps, BatchSize, MaxSeqLen, Lr, Warmup, WeightDecay, MaxPredictions, Seed,
            CheckpointEvery, LogEvery, Resume, Device, Threads, Output,
        };
        command.SetAction((result, token) => Task.FromResult(Cli.Run(() => Run(result, token))));
        return command;
    }

    private static int Run(ParseResult args, CancellationToken token)
    {
        TorchRuntime.EnsureAvailable();
        torch.set_num_threads(Math.Max(1, args.GetValue(Threads)));
        var output = Path.GetFullPath(args.GetValue(Output)!);
        var seed = args.GetValue(Seed);
        var device = DeviceOption.Parse(args.GetValue(Device)!); // before the corpus is read: a wrong device fails at once

        var config = BertConfig.FromJsonFile(RequireFile(args.GetValue(Config)!, "--config"));
        var spm = args.GetValue(Spm) ?? SharedPaths.Default("models/wiki-ja/wiki-ja.model");
        if (!File.Exists(spm))
            throw new CliException($"The SentencePiece model {spm} is missing. {SharedPaths.SpmHelp}", 2);
        var indexer = SentencePieceIndexer.Load(spm, new SentencePieceIndexerOptions { MaxSequenceLength = Math.Max(5, config.MaxPositionEmbeddings) });
        config.ValidateIndexer(indexer, spm);
        var maxSeqLen = args.GetValue(MaxSeqLen) ?? Math.Min(128, config.MaxPositionEmbeddings);
        if (maxSeqLen > config.MaxPositionEmbeddings)
            throw new CliException($"--max-seq-len {maxSeqLen} exceeds the config's max_position_embeddings {config.MaxPositionEmbeddings}.");
        config.EnsureTrainingFitsInMemory(Math.Max(1, args.GetValue(BatchSize)), Math.Max(1, maxSeqLen)); // before anything is allocated

        var corpus = LoadCorpus(args);
        Console.WriteLine($"Corpus: {corpus.Documents.Count} documents, {corpus.SentenceCount} sentences.");
        var clock = Stopwatch.StartNew();
        var documents = corpus.Tokenize(indexer, cancellationToken: token);
        long pieces = documents.Sum(d => d.Sum(s => (long)s.Length));
        Console.WriteLine($"Tokenized with {Path.GetFileName(spm)} ({indexer.VocabSize} pieces): {pieces} pieces in {clock.Elapsed.TotalSeconds:F1} s.");

        PretrainingBatchGenerator generator;
        try
        {
            generator = new PretrainingBatchGenerator(documents, PretrainingVocabulary.FromIndexer(indexer), new PretrainingBatchGeneratorOptions
            {
                MaxSequenceLength = maxSeqLen,
                MaxPredictionsPerSequence = args.GetValue(MaxPredictions),
                Seed = seed,
            });
        }
        catch (ArgumentException ex) when (ex.ParamName == "documents")
        {
            // The corpus cannot make pretraining pairs (empty, one line, one document): name the files it came from.
            var files = (args.GetValue(Corpus) ?? []).Select(p => $"--corpus '{p}'").Concat((args.GetValue(Aozora) ?? []).Select(p => $"--aozora '{p}'"));
            throw new CliException($"{string.Join(", ", files)}: {corpus.Documents.Count} documents, {corpus.SentenceCount} sentences. " +
                ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal), 2);
        }

        torch.manual_seed(seed);
        using var model = new BertForPreTraining(config);
        if (args.GetValue(Init) is { } init)
            Console.WriteLine("Initial weights: " + BertPreTrainingCheckpoint.Load(model, init));
        long parameters = model.parameters().Sum(p => p.numel());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Model: {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads, intermediate {config.IntermediateSize}, vocab {config.VocabSize}: {parameters / 1e6:F1} M parameters."));

        var options = new PretrainerOptions
        {
            Steps = args.GetValue(Steps),
            BatchSize = args.GetValue(BatchSize),
            LearningRate = args.GetValue(Lr),
            WarmupProportion = args.GetValue(Warmup),
            WeightDecay = args.GetValue(WeightDecay),
            CheckpointEvery = args.GetValue(CheckpointEvery),
            ProgressEvery = Math.Max(1, args.GetValue(LogEvery)),
            OutputDirectory = output,
            Resume = args.GetValue(Resume),
            Seed = seed,
            Device = device,
        };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Training: {options.Steps} steps of {options.BatchSize} sequences (<= {maxSeqLen} tokens), lr {options.LearningRate:G3}, warmup {options.EffectiveWarmupSteps} steps, {torch.get_num_threads()} threads; output {output}"));
        var trainer = new Pretrainer(model, generator, options, indexer);
        // progress.tsv is opened at the first report, inside the run, which holds the output folder by then (a second run
        // on the folder fails before touching it); a resumed run appends to it, a fresh run starts it anew.
        bool resuming = options.Resume && File.Exists(Path.Combine(trainer.CheckpointDirectory, "trainer.json"));
        using var progress = new ConsoleProgress(Path.Combine(output, "progress.tsv"), append: resuming);

        // Ctrl+C or SIGTERM: finish the current step, write a checkpoint, exit (a second Ctrl+C kills at once).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        void OnCancelKey(object? sender, ConsoleCancelEventArgs e)
        {
            if (stop.IsCancellationRequested) return;
            e.Cancel = true;
            RequestStop(stop);
        }
        Console.CancelKeyPress += OnCancelKey;
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            RequestStop(stop);
        });
        PretrainingResult result;
        try
        {
            result = trainer.Run(progress, stop.Token);
        }
        finally
        {
            Console.CancelKeyPress -= OnCancelKey;
        }
        if (result.ResumedFromStep > 0)
            Console.WriteLine($"Resumed from step {result.ResumedFromStep}.");
        Console.WriteLine($"Done: {result.Steps} steps. Saved {result.HuggingFaceDirectory} (config.json, model.safetensors, the tokenizer) and {result.TensorFlowPrefix} (.index, .data-00000-of-00001, bert_config.json).");
        return 0;
    }

    private static void RequestStop(CancellationTokenSource stop)
    {
        Console.Error.WriteLine("stopping after the current step; writing a checkpoint (continue with --resume)...");
        stop.Cancel();
    }

    private static PretrainingCorpus LoadCorpus(ParseResult args)
    {
        var corpora = new List<PretrainingCorpus>();
        foreach (var path in args.GetValue(Corpus) ?? [])
            corpora.Add(PretrainingCorpus.Load(RequireFile(path, "--corpus")));
        foreach (var path in args.GetValue(Aozora) ?? [])
            corpora.Add(AozoraText.Load(RequireFile(path, "--aozora")));
        if (corpora.Count == 0)
            throw new CliException("Give at least one --corpus (one sentence per line, empty lines between documents) or --aozora file.", 2);
        return PretrainingCorpus.Concat(corpora);
    }

    private static string RequireFile(string path, string option) =>
        File.Exists(path) ? path : throw new CliException($"{option}: file '{path}' not found.", 2);

    /// <summary>
    /// Prints each report on one line and writes it to progress.tsv (synchronously, in step order): the file is opened
    /// at the first report, appended to when <paramref name="append"/> (a resumed run), otherwise started anew.
    /// </summary>
    private sealed class ConsoleProgress(string logPath, bool append) : IProgress<PretrainingProgress>, IDisposable
    {
        private const string Header = "step\tmlm_loss\tmlm_accuracy\tnsp_loss\tnsp_accuracy\tlearning_rate\tsequences_per_second\telapsed_seconds";
        private StreamWriter? log;

        public void Dispose() => log?.Dispose();

        public void Report(PretrainingProgress p)
        {
            if (log is null)
            {
                if (append && File.Exists(logPath))
                    DropRowsFrom(p.FirstStep);
                bool header = !append || !File.Exists(logPath) || new FileInfo(logPath).Length == 0;
                log = new StreamWriter(logPath, append: append);
                if (header) log.WriteLine(Header);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {p.Step,6}/{p.TotalSteps}  mlm loss {p.MaskedLmLoss:F3} acc {p.MaskedLmAccuracy:F3}  nsp loss {p.NextSentenceLoss:F3} acc {p.NextSentenceAccuracy:F3}  lr {p.LearningRate:E2}  {p.SequencesPerSecond:F1} seq/s  {p.Elapsed:hh\\:mm\\:ss}"));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{p.Step}\t{p.MaskedLmLoss:F4}\t{p.MaskedLmAccuracy:F4}\t{p.NextSentenceLoss:F4}\t{p.NextSentenceAccuracy:F4}\t{p.LearningRate:E4}\t{p.SequencesPerSecond:F2}\t{p.Elapsed.TotalSeconds:F1}"));
            log.Flush();
        }

        /// <summary>
        /// Removes the rows of steps from <paramref name="firstStep"/> on: a killed run reported them after its last
        /// checkpoint, and the resumed run does those steps again (replaced through a temporary, so a kill leaves either log).
        /// </summary>
        private void DropRowsFrom(long firstStep)
        {
            var lines = File.ReadAllLines(logPath);
            var kept = lines.Where((line, i) => i == 0 && line.StartsWith("step", StringComparison.Ordinal)
                || !long.TryParse(line.Split('\t')[0], NumberStyles.None, CultureInfo.InvariantCulture, out long step) || step < firstStep).ToArray();
            if (kept.Length == lines.Length) return;
            string temporary = logPath + ".tmp";
            File.WriteAllLines(temporary, kept);
            File.Move(temporary, logPath, overwrite: true);
        }
    }
}
