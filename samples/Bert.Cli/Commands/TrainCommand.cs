using System.CommandLine;
using System.Globalization;
using System.Text;
using Bert.Classification;
using Bert.Cli.SampleData;
using Bert.Classification.Data;
using Bert.Classification.Metrics;
using Bert.Classification.Training;
using Bert.Core;
using Bert.Core.Modeling;
using Bert.Core.Optimization;
using Bert.Tokenization;
using TorchSharp;
using Bert.Core.IO;

namespace Bert.Cli.Commands;

/// <summary><c>bert train</c>: fine-tunes a classifier, multi-label classifier or regressor (by default a KNBC topic classifier) and evaluates it.</summary>
internal static class TrainCommand
{
    /// <summary>Where <c>bert pretrain --output out/pretrained-small</c> leaves its Hugging Face folder; <c>train</c> starts from it when present.</summary>
    private const string DefaultPretrained = "out/pretrained-small/hf";

    private static readonly Option<string?> Knbc = new("--knbc") { Description = "KNBC folder (holding corpus2/*.tsv). Default: ../shared/data/knbc." };
    private static readonly Option<string> TaskOption = new("--task") { Description = "single-label | multi-label (labels joined by '|') | regression (numbers). Pairs when features.csv has a 'feature2' column.", DefaultValueFactory = _ => "single-label" };
    private static readonly Option<double> Threshold = new("--threshold") { Description = "Multi-label: a label is predicted at this probability or above.", DefaultValueFactory = _ => 0.5 };
    private static readonly Option<string?> TrainDir = new("--train") { Description = "Training folder in the reference layout (features.csv with column 'feature' and optional 'feature2', labels.csv with column 'label')." };
    private static readonly Option<string?> TestDir = new("--test") { Description = "Test folder in the reference layout." };
    private static readonly Option<string?> Spm = new("--spm") { Description = "SentencePiece model. Default (without --tokenizer and without a tokenizer in the --checkpoint folder): ../shared/models/wiki-ja/wiki-ja.model." };
    private static readonly Option<string?> TokenizerOption = new("--tokenizer") { Description = "Tokenizer: a Hugging Face folder (vocab.txt, a SentencePiece model or tokenizer.json with its settings), a *.model or a vocab.txt. Default: the --checkpoint folder's own tokenizer when it has one, else --spm." };
    private static readonly Option<string?> Config = new("--config") { Description = "bert_config.json: the size of the model (with --checkpoint: the checkpoint's config)." };
    private static readonly Option<string?> Checkpoint = new("--checkpoint") { Description = "Pretrained weights: a TensorFlow prefix (model.ckpt-1400000), a .safetensors file or a Hugging Face folder." };
    private static readonly Option<int> Epochs = new("--epochs") { Description = "Epochs.", DefaultValueFactory = _ => 10 };
    private static readonly Option<int> BatchSize = new("--batch-size") { Description = "Batch size.", DefaultValueFactory = _ => 16 };
    private static readonly Option<double> Lr = new("--lr") { Description = "Peak learning rate of AdamWarmup.", DefaultValueFactory = _ => 1e-4 };
    private static readonly Option<double> Warmup = new("--warmup-proportion") { Description = "Share of steps for linear warmup.", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<double> WeightDecay = new("--weight-decay") { Description = "Decoupled weight decay (not on bias/LayerNorm).", DefaultValueFactory = _ => 0.0 };
    private static readonly Option<int?> MaxSeqLen = new("--max-seq-len") { Description = "Longest input in pieces with [CLS]/[SEP]. Default: measured on the training data." };
    private static readonly Option<string> Split = new("--split") { Description = "random: stratified 90/10 sentence split (the reference run); article: no article in both sets.", DefaultValueFactory = _ => "random" };
    private static readonly Option<double> TestFraction = new("--test-fraction") { Description = "Share of KNBC held out for the test.", DefaultValueFactory = _ => 0.1 };
    private static readonly Option<bool> DropTitles = new("--drop-titles") { Description = "Drop KNBC article titles (their first sentence names the topic)." };
    private static readonly Option<double> ValidationSplit = new("--validation-split") { Description = "Hold out this share of the training set to pick the best epoch. 0 picks it on the test set, as the reference run did.", DefaultValueFactory = _ => 0.0 };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the split, initialisation, shuffling and dropout.", DefaultValueFactory = _ => 42 };
    private static readonly Option<string> Pooling = new("--pooling") { Description = "pooler | cls | mean | max | concat.", DefaultValueFactory = _ => "pooler" };
    private static readonly Option<int?> Patience = new("--patience") { Description = "Early stopping after this many epochs without improvement." };
    private static readonly Option<string?> SelectBestBy = new("--select-best-by") { Description = "accuracy | macro-f1 | weighted-f1 | loss: the validation metric that picks the best epoch (and early stopping). Default: accuracy (single-label), loss (multi-label, regression)." };
    private static readonly Option<bool> FromScratch = new("--from-scratch") { Description = $"Without --checkpoint, start from random weights even when a pretrained small BERT exists at {DefaultPretrained}." };
    private static readonly Option<bool> MixedBf16 = new("--mixed-bf16") { Description = "Mixed precision: the projections compute in bfloat16 while weights and optimizer state stay float32. Faster only where bfloat16 outruns float32 (AMX, or avx512_bf16 on AMD); elsewhere (emulated, or Intel's avx512_bf16 at half the float32 rate) a warning says so." };
    private static readonly Option<string> Device = DeviceOption.Create();
    private static readonly Option<int> Threads = new("--threads") { Description = "CPU threads for libtorch.", DefaultValueFactory = _ => Environment.ProcessorCount };
    private static readonly Option<string> Output = new("--output") { Description = "Output folder: the classifier, report.txt, history.csv, learning-curves.png.", DefaultValueFactory = _ => Path.Combine("out", "knbc") };

    public static Command Create()
    {
        var command = new Command("train", """
            Fine-tune a BERT topic classifier and print its classification report.
            Examples:
              bert train                                   (KNBC from ../shared; a small BERT from random weights, or from
                                                            out/pretrained-small/hf when 'bert pretrain' made one)
              bert train --config bert_config.json --checkpoint model.ckpt-1400000 --max-seq-len 103
              bert train --train data/train --test data/test --epochs 3
              bert train --task multi-label --train data/train --test data/test
              bert train --task regression --train data/train --test data/test   (pairs: features.csv with 'feature2')
            """)
        {
            Device, TaskOption, Threshold, Knbc, TrainDir, TestDir, Spm, TokenizerOption, Config, Checkpoint, Epochs, BatchSize, Lr, Warmup, WeightDecay, MaxSeqLen, Split,
            TestFraction, DropTitles, ValidationSplit, Seed, Pooling, Patience, SelectBestBy, FromScratch, MixedBf16, Threads, Output,
        };
        command.SetAction((result, token) => Task.FromResult(Cli.Run(() => Run(result, token))));
        return command;
    }

    /// <summary>The default job: <c>bert</c> with no arguments.</summary>
    public static int RunDefaults(CancellationToken token) =>
        Cli.Run(() => Run(Create().Parse(Array.Empty<string>()), token));

    private static int Run(ParseResult args, CancellationToken token)
    {
        torch.set_num_threads(Math.Max(1, args.GetValue(Threads)));
        int seed = args.GetValue(Seed);
        string output = Path.GetFullPath(args.GetValue(Output)!);

        var problemType = ParseTask(args.GetValue(TaskOption)!);
        // Options checked before anything is loaded, named as the command line names them.
        double share = args.GetValue(ValidationSplit), threshold = args.GetValue(Threshold);
        if (!(share >= 0 && share < 1))
            throw new CliException($"--validation-split must be at least 0 and below 1; it is {share.ToString(CultureInfo.InvariantCulture)}.");
        if (!(threshold > 0 && threshold < 1))
            throw new CliException($"--threshold must be between 0 and 1 (exclusive); it is {threshold.ToString(CultureInfo.InvariantCulture)}.");
        if (args.GetValue(Patience) is < 1)
            throw new CliException($"--patience must be at least 1; it is {args.GetValue(Patience)}.");
        ParseSelection(args.GetValue(SelectBestBy));
        var (train, test, source) = LoadData(args, seed, problemType);
        var labels = LabelsOf(problemType, train, test);
        IReadOnlyList<TextExample> validation = test;
        double validationShare = args.GetValue(ValidationSplit);
        if (validationShare > 0)
            (train, validation) = problemType == ProblemType.SingleLabel
                ? DataSplit.StratifiedRandom(train, validationShare, seed + 1)
                : DataSplit.Random(train, validationShare, seed + 1);

        var (indexer, tokenizerSource) = LoadTokenizer(args);

        bool pairs = train[0].Text2 is not null;
        Console.WriteLine($"Data: {source}; {train.Count} train, {validation.Count} validation, {test.Count} test{(pairs ? " sentence pairs" : "")}; task {args.GetValue(TaskOption)}; " +
            (problemType == ProblemType.Regression ? "one value." : $"labels: {string.Join(", ", labels)}."));
        var stats = SequenceLengthStats.Measure(indexer, train.Select(e => e.Text).Concat(train.Where(e => e.Text2 is not null).Select(e => e.Text2!)));
        Console.WriteLine($"Tokenizer: {tokenizerSource} ({indexer.VocabSize} pieces). Training texts: {stats}");
        int measuredLength = stats.MaxSequenceLength;
        if (pairs)
        {
            // The statistics above count each text of a pair on its own; a pair is [CLS] a [SEP] b [SEP].
            measuredLength = indexer.EncodeMany(train.Select(e => e.Text).ToArray(), train.Select(e => e.Text2!).ToArray()).Max(x => x.Length);
            Console.WriteLine($"Longest pair with [CLS]/[SEP]: {measuredLength} pieces (the training length unless --max-seq-len is given).");
        }

        torch.manual_seed(seed);
        var bert = BuildModel(args, indexer, seed, measuredLength);
        var head = new ClassificationHeadOptions { Pooling = ParsePooling(args.GetValue(Pooling)!), ProblemType = problemType, Threshold = args.GetValue(Threshold), Seed = seed };
        using var model = new BertForSequenceClassification(bert, labels.Length, head);
        var options = new ClassificationTrainerOptions
        {
            Epochs = args.GetValue(Epochs),
            BatchSize = args.GetValue(BatchSize),
            LearningRate = args.GetValue(Lr),
            WarmupProportion = args.GetValue(Warmup),
            WeightDecay = args.GetValue(WeightDecay),
            MaxSequenceLength = args.GetValue(MaxSeqLen),
            Seed = seed,
            EarlyStoppingPatience = args.GetValue(Patience),
            SelectBestBy = ParseSelection(args.GetValue(SelectBestBy)),
            CheckpointDirectory = Path.Combine(output, "training-checkpoint"),
            Device = DeviceOption.Parse(args.GetValue(Device)!),
        };
        var trainer = new ClassificationTrainer(model, indexer, labels, options);
        Console.WriteLine(validationShare > 0
            ? $"The best epoch is chosen on a validation set of {validation.Count} training sentences; the test set is used once, at the end."
            : "The best epoch is chosen on the test set, as the reference run did (use --validation-split 0.1 for an honest estimate).");

        // The data's warnings before the run, not after it.
        foreach (var warning in trainer.CheckData(train, validation))
            Console.Error.WriteLine("warning: " + warning);
        var reporter = new TrainingReporter();
        var result = reporter.Run(p => trainer.Train(train, validation, p, token));
        if (result.ResumedFromEpoch > 0)
            Console.WriteLine($"Resumed the interrupted run of this data and these options from its checkpoint after epoch {result.ResumedFromEpoch} ({options.CheckpointDirectory}).");
        if (result.StoppedEarly && result.History.Count < options.Epochs)
            Console.WriteLine($"Stopped early after epoch {result.History[^1].Epoch}: {options.EarlyStoppingPatience} epoch(s) without a better {trainer.SelectBestBy}.");
        double bestScore = trainer.SelectBestBy == SelectionMetric.Loss ? result.Best.ValidationLoss : result.Best.Score(trainer.SelectBestBy);
        Console.WriteLine($"Best epoch: {result.BestEpoch} (validation {trainer.SelectBestBy} {bestScore:F4}); max sequence length {result.MaxSequenceLength}.");

        var evaluation = trainer.Evaluate(test, result.MaxSequenceLength, token);
        var text = new StringBuilder();
        text.AppendLine(evaluation.ReportText);
        if (evaluation.Report is { } report)
        {
            text.AppendLine("Confusion matrix (rows: true, columns: predicted):");
            text.AppendLine(report.FormatConfusionMatrix());
            var accuracyCi = report.BootstrapConfidenceInterval(ReportMetric.Accuracy, seed: seed);
            var f1Ci = report.BootstrapConfidenceInterval(ReportMetric.WeightedF1, seed: seed);
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"95% bootstrap intervals on {test.Count} test texts: accuracy {report.Accuracy:F3} [{accuracyCi.Lower:F3}, {accuracyCi.Upper:F3}], weighted F1 {report.WeightedAvg.F1:F3} [{f1Ci.Lower:F3}, {f1Ci.Upper:F3}]"));
        }
        Console.WriteLine();
        Console.WriteLine(text.ToString());
        if (args.GetValue(Checkpoint) is null && args.GetValue(TrainDir) is null)
            Console.WriteLine("Note: this model was not the pretrained Japanese Wikipedia BERT (it started from random weights or from the small BERT 'bert pretrain' made), " +
                "so these numbers are NOT the pretrained-BERT numbers (the reference run reached weighted F1 0.82 from model.ckpt-1400000).");

        Directory.CreateDirectory(output);
        using var classifier = new TextClassifier(model, indexer, labels, tokenizerSource, result.MaxSequenceLength, device: options.Device) { Pairs = pairs };
        classifier.Save(Path.Combine(output, "model"), new Dictionary<string, string> { ["report.txt"] = text.ToString() });
        AtomicFile.WriteAllText(Path.Combine(output, "report.txt"), text.ToString());
        AtomicFile.WriteAllText(Path.Combine(output, "history.csv"), HistoryCsv(result.History));
        string plot = Path.Combine(output, "learning-curves.png");
        int stepsPerEpoch = Math.Max(1, result.TotalSteps / options.Epochs);
        var schedule = Enumerable.Range(1, result.TotalSteps)
            .Select(t => ((double)t / stepsPerEpoch, WarmupLinearSchedule.LearningRateAt(t, options.LearningRate, result.WarmupSteps, result.TotalSteps)))
            .ToArray();
        string? plotError = LearningCurvePlot.TrySave(result.History, schedule, plot);
        ClassificationTrainer.DeleteCheckpoint(options.CheckpointDirectory);
        // The folder this command made for the checkpoint goes too, when nothing else is in it.
        if (Directory.Exists(options.CheckpointDirectory) && !Directory.EnumerateFileSystemEntries(options.CheckpointDirectory).Any())
            Directory.Delete(options.CheckpointDirectory);
        Console.WriteLine($"Saved: {Path.Combine(output, "model")} (classifier), report.txt, history.csv" + (plotError is null ? ", learning-curves.png" : $" (no plot: {plotError})") + $" in {output}");
        // One line, no tab: a text of the CSV may hold both, which would break the command.
        static string Quoted(string text) => "'" + text.ReplaceLineEndings(" ").Replace('\t', ' ').Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        string predict = $"dotnet run --project samples/Bert.Cli -c Release -- predict --model {Path.Combine(output, "model")}";
        Console.WriteLine(pairs
            ? $"Try it: printf '%s\\t%s\\n' {Quoted(test[0].Text)} {Quoted(test[0].Text2!)} | {predict}"
            : $"Try it: {predict} {Quoted(test[0].Text)}");
        return 0;
    }

    private static SelectionMetric? ParseSelection(string? name) => name switch
    {
        null => null,
        "accuracy" => SelectionMetric.Accuracy,
        "macro-f1" => SelectionMetric.MacroF1,
        "weighted-f1" => SelectionMetric.WeightedF1,
        "loss" => SelectionMetric.Loss,
        _ => throw new CliException($"--select-best-by must be accuracy, macro-f1, weighted-f1 or loss, not '{name}'."),
    };

    private static (IReadOnlyList<TextExample> Train, IReadOnlyList<TextExample> Test, string Source) LoadData(ParseResult args, int seed, ProblemType problemType)
    {
        string? trainDir = args.GetValue(TrainDir), testDir = args.GetValue(TestDir);
        if (trainDir is not null || testDir is not null)
        {
            if (trainDir is null || testDir is null)
                throw new CliException("--train and --test go together (folders holding features.csv and labels.csv).");
            var options = new TextTableOptions { ProblemType = problemType };
            return (LabeledTextFiles.LoadFeaturesAndLabels(trainDir, options), LabeledTextFiles.LoadFeaturesAndLabels(testDir, options), $"{trainDir} / {testDir}");
        }
        if (problemType != ProblemType.SingleLabel)
            throw new CliException($"--task {args.GetValue(TaskOption)} needs --train and --test folders (the built-in KNBC task is single-label topics).");
        string knbc = args.GetValue(Knbc) ?? SharedPaths.Default("data/knbc");
        if (!Directory.Exists(knbc))
            throw new CliException($"The KNBC corpus is not at {knbc}. {SharedPaths.KnbcHelp}", 2);
        var all = KnbcCorpus.TopicExamples(KnbcCorpus.Load(knbc), dropTitles: args.GetValue(DropTitles));
        double fraction = args.GetValue(TestFraction);
        var split = args.GetValue(Split) switch
        {
            "random" => DataSplit.StratifiedRandom(all, fraction, seed),
            "article" => DataSplit.ByGroup(all, fraction, seed),
            var other => throw new CliException($"--split must be 'random' or 'article', not '{other}'."),
        };
        return (split.Train, split.Test, $"KNBC {knbc} ({args.GetValue(Split)} split{(args.GetValue(DropTitles) ? ", titles dropped" : "")})");
    }


    /// <summary>
    /// The tokenizer: --tokenizer; else --spm; else the --checkpoint folder's own (a Hugging Face folder with vocab.txt, a
    /// SentencePiece model or tokenizer.json, read with its settings); else the wiki-ja SentencePiece model of ../shared.
    /// </summary>
    private static (IBertIndexer Indexer, string Source) LoadTokenizer(ParseResult args)
    {
        string? tokenizer = args.GetValue(TokenizerOption), spm = args.GetValue(Spm);
        if (tokenizer is not null && spm is not null)
            throw new CliException("Give --tokenizer or --spm, not both.");
        if (tokenizer is not null)
        {
            if (!File.Exists(tokenizer) && !Directory.Exists(tokenizer)) throw new CliException($"The tokenizer {tokenizer} does not exist.");
            return (BertIndexer.Load(tokenizer), tokenizer);
        }
        if (spm is null && CheckpointFolder(args) is { } folder && HasTokenizer(folder))
            return (BertIndexer.Load(folder), $"{folder} (the checkpoint's own)");
        spm ??= SharedPaths.Default("models/wiki-ja/wiki-ja.model");
        if (!File.Exists(spm))
            throw new CliException($"The SentencePiece model {spm} is missing. {SharedPaths.SpmHelp}", 2);
        return (SentencePieceIndexer.Load(spm, new SentencePieceIndexerOptions { MaxSequenceLength = 512 }), spm);
    }

    private static bool HasTokenizer(string folder) =>
        File.Exists(Path.Combine(folder, "vocab.txt")) || File.Exists(Path.Combine(folder, "tokenizer.json")) || Directory.GetFiles(folder, "*.model").Any(f => !Path.GetFileName(f).StartsWith('.'));

    /// <summary>The --checkpoint folder, or the small BERT 'bert pretrain' made when no checkpoint, config or --from-scratch is given.</summary>
    private static string? CheckpointFolder(ParseResult args)
    {
        string? checkpoint = args.GetValue(Checkpoint);
        if (checkpoint is null && args.GetValue(Config) is null && !args.GetValue(FromScratch) && File.Exists(Path.Combine(DefaultPretrained, "config.json")))
            checkpoint = DefaultPretrained;
        return checkpoint is not null && Directory.Exists(checkpoint) ? checkpoint : null;
    }

    private static BertModel BuildModel(ParseResult args, IBertIndexer indexer, int seed, int measuredSequenceLength)
    {
        string? configPath = args.GetValue(Config), checkpoint = args.GetValue(Checkpoint);
        if (checkpoint is null && configPath is null && !args.GetValue(FromScratch) && File.Exists(Path.Combine(DefaultPretrained, "config.json")))
        {
            checkpoint = DefaultPretrained;
            Console.WriteLine($"Starting from the small BERT pretrained by 'bert pretrain' at {DefaultPretrained} (--from-scratch to start from random weights).");
        }
        if (checkpoint is not null && configPath is null && !Directory.Exists(checkpoint))
            throw new CliException("--checkpoint needs --config (the checkpoint's bert_config.json), unless it is a Hugging Face folder with config.json.");
        BertConfig config = configPath is not null
            ? BertConfig.FromJsonFile(configPath)
            : checkpoint is not null ? BertConfig.FromJsonFile(Path.Combine(checkpoint, "config.json")) : SmallConfig(indexer);
        config.ValidateIndexer(indexer);
        // Weights, gradients, AdamWarmup's moments and a batch's activations, refused before anything is allocated.
        int sequenceLength = args.GetValue(MaxSeqLen) ?? Math.Min(measuredSequenceLength, Math.Min(indexer.MaxSequenceLength, config.MaxPositionEmbeddings));
        config.EnsureTrainingFitsInMemory(Math.Max(1, args.GetValue(BatchSize)), Math.Max(1, sequenceLength));
        var builder = new BertModelBuilder(config).WithSeed(seed);
        if (args.GetValue(MaxSeqLen) is { } maxLen) builder = builder.WithMaxSequenceLength(maxLen);
        if (checkpoint is not null) builder = builder.WithCheckpoint(checkpoint);
        if (args.GetValue(MixedBf16)) builder = builder.WithComputeType(torch.ScalarType.BFloat16);
        var model = builder.Build();
        if (checkpoint is not null)
        {
            Console.WriteLine($"Model: {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads, loaded from {checkpoint}.");
            if (builder.LastLoadReport is { } report) Console.WriteLine(report.ToString());
        }
        else
        {
            Console.WriteLine(configPath is null
                ? $"Model: no --checkpoint, so a small BERT initialised at random: {config.ToJson().ReplaceLineEndings(" ")}"
                : $"Model: initialised at random from {configPath}.");
        }
        return model;
    }

    /// <summary>The default model when no checkpoint is given: 4 layers, hidden 256 (about ten minutes of training on 2 cores).</summary>
    internal static BertConfig SmallConfig(IBertIndexer indexer) => new()
    {
        VocabSize = indexer.VocabSize,
        HiddenSize = 256,
        NumHiddenLayers = 4,
        NumAttentionHeads = 4,
        IntermediateSize = 1024,
        HiddenAct = "gelu",
        HiddenDropoutProb = 0.1,
        AttentionProbsDropoutProb = 0.1,
        MaxPositionEmbeddings = 128,
        TypeVocabSize = 2,
        InitializerRange = 0.02,
        LayerNormEps = 1e-12,
    };

    private static PoolingStrategy ParsePooling(string name) => PoolingNames.Parse(name);

    private static int KnbcOrder(string label)
    {
        int i = Array.IndexOf(KnbcCorpus.Labels.ToArray(), label);
        return i < 0 ? int.MaxValue : i;
    }

    private static ProblemType ParseTask(string task) => task switch
    {
        "single-label" => ProblemType.SingleLabel,
        "multi-label" => ProblemType.MultiLabel,
        "regression" => ProblemType.Regression,
        _ => throw new CliException($"--task must be single-label, multi-label or regression, not '{task}'."),
    };

    /// <summary>
    /// The model's outputs: every label of train and test (KNBC topics in their usual order, others by first appearance;
    /// a test-only label then stops training with a message naming it), or the one output "value" for regression.
    /// </summary>
    private static string[] LabelsOf(ProblemType problemType, IReadOnlyList<TextExample> train, IReadOnlyList<TextExample> test)
    {
        if (problemType == ProblemType.Regression)
            return ["value"];
        return train.Concat(test).SelectMany(e => e.Label is not null ? [e.Label] : e.Labels!).Distinct().OrderBy(KnbcOrder).ToArray();
    }

    private static string HistoryCsv(IReadOnlyList<EpochResult> history)
    {
        var csv = new StringBuilder("epoch,train_loss,validation_loss,accuracy,macro_f1,weighted_f1,learning_rate,seconds\n");
        foreach (var e in history)
            csv.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{e.Epoch},{e.TrainLoss:R},{e.ValidationLoss:R},{e.Accuracy:R},{e.MacroF1:R},{e.WeightedF1:R},{e.LearningRate:R},{e.Seconds:F1}"));
        return csv.ToString();
    }
}
