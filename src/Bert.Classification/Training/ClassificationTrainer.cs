using Bert.Core;
using Bert.Core.Modeling;
using System.Diagnostics;
using Bert.Classification.Data;
using Bert.Classification.Metrics;
using Bert.Core.Checkpoints;
using Bert.Core.Optimization;
using Bert.Core.Training;
using Bert.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bert.Classification.Training;

/// <summary>
/// Fine-tunes a <see cref="BertForSequenceClassification"/> on labelled texts or text pairs with <see cref="AdamWarmup"/>
/// (linear warmup, then linear decay), evaluates every epoch, keeps the best epoch by a chosen metric, and
/// restores its weights at the end. With <see cref="ClassificationTrainerOptions.CheckpointDirectory"/> it writes
/// a training checkpoint after every epoch and resumes from it. The model's <see cref="ClassificationHeadOptions.ProblemType"/>
/// chooses the loss: softmax cross-entropy (single-label, optional class weights), sigmoid binary cross-entropy
/// (multi-label) or mean squared error (regression); one loop and one collator serve all three.
/// </summary>
/// <remarks>
/// <para>Reproducibility: the shuffling of epoch <c>e</c> and its dropout masks are derived from (seed, e) only, so a run
/// resumed from the checkpoint of epoch <c>e-1</c> computes the same epochs as the uninterrupted run.</para>
/// <para>Devices: the model, every batch, target and class-weight tensor live on <see cref="ClassificationTrainerOptions.Device"/>;
/// the best epoch's weights are kept on the CPU. Losses are read as float32, so bf16/fp16 models train. Only the CPU is
/// tested: CUDA is untested.</para>
/// <para>Data checks before training (<see cref="ArgumentException"/> naming what is wrong): label names that are empty,
/// repeated or differ only by case or white space; examples of another problem type; pairs mixed with single texts;
/// labels unknown to the trainer; labels that occur in the validation set but not in the training set; a single class
/// (or constant regression targets) in the training set. Labels without training examples are reported in
/// <see cref="TrainingResult.Warnings"/>.</para>
/// </remarks>
public sealed class ClassificationTrainer
{
    private readonly BertForSequenceClassification model;
    private readonly IBertIndexer indexer;
    private readonly ClassificationTrainerOptions options;
    private readonly Dictionary<string, int> labelIndex;
    private const string BestFile = "best.safetensors";
    private int? trainedMaxSequenceLength;

    /// <summary>Creates a trainer for <paramref name="model"/> whose outputs are <paramref name="labels"/>, in order.</summary>
    /// <param name="model">The classifier to train; its head's problem type chooses the loss.</param>
    /// <param name="indexer">Turns texts (and pairs) into [CLS] a [SEP] (b [SEP]).</param>
    /// <param name="labels">Label names, one per model output (for regression: one name for the value, e.g. <c>score</c>).</param>
    /// <param name="options">Training options; null for the defaults.</param>
    /// <exception cref="ArgumentException">Bad options, a label count that differs from the model's outputs, or label names that are empty, repeated or equal but for case or white space.</exception>
    public ClassificationTrainer(
        BertForSequenceClassification model, IBertIndexer indexer, IReadOnlyList<string> labels, ClassificationTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(indexer);
        ArgumentNullException.ThrowIfNull(labels);
        this.options = options ?? new ClassificationTrainerOptions();
        this.options.Validate();
        if (labels.Count != model.NumLabels)
            throw new ArgumentException($"The model has {model.NumLabels} outputs but {labels.Count} labels were given.", nameof(labels));
        TrainingDataChecks.CheckLabelNames(labels);
        ProblemType = model.Options.ProblemType;
        if (ProblemType == ProblemType.MultiLabel && labels.Count < 2)
            throw new ArgumentException(
                $"A multi-label model needs at least two labels; it has {labels.Count}. For one yes/no label, train a single-label model " +
                "with two classes (for example 'spam' and 'not spam').", nameof(labels));
        // Single-label: accuracy, as the reference run. Multi-label: the loss (subset accuracy, all labels of a text right,
        // often stays 0 for many epochs while the model improves). Regression: the loss.
        SelectBestBy = this.options.SelectBestBy ?? (ProblemType == ProblemType.SingleLabel ? SelectionMetric.Accuracy : SelectionMetric.Loss);
        if (ProblemType == ProblemType.Regression && SelectBestBy != SelectionMetric.Loss)
            throw new ArgumentException($"A regression model's best epoch is chosen by {nameof(SelectionMetric.Loss)}; {SelectBestBy} is a classification metric.", nameof(options));
        this.model = model;
        this.indexer = indexer;
        Labels = labels.ToArray();
        labelIndex = Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
    }

    /// <summary>The label names, in the order of the model's outputs.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The options in use.</summary>
    public ClassificationTrainerOptions Options => options;

    /// <summary>The model's problem type.</summary>
    public ProblemType ProblemType { get; }

    /// <summary>The metric that picks the best epoch (<see cref="ClassificationTrainerOptions.SelectBestBy"/>, or its default for the problem type).</summary>
    public SelectionMetric SelectBestBy { get; }

    /// <summary>
    /// Trains for <see cref="ClassificationTrainerOptions.Epochs"/> epochs (or until early stopping), validating after
    /// each, and leaves the best epoch's weights in the model.
    /// </summary>
    /// <param name="train">Training examples of the model's problem type; every label must be one of <see cref="Labels"/>.</param>
    /// <param name="validation">Validation examples, used to pick the best epoch.</param>
    /// <param name="progress">Receives a report after every batch and every epoch.</param>
    /// <param name="cancellationToken">Stops between batches; the last complete checkpoint stays intact, and the model is left
    /// with the best complete epoch's weights (as after a divergence), or the weights it started from when no epoch
    /// completed, in eval mode.</param>
    /// <exception cref="ArgumentException">The data fail a check (see the remarks of <see cref="ClassificationTrainer"/>).</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public TrainingResult Train(
        IReadOnlyList<TextExample> train,
        IReadOnlyList<TextExample> validation,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        BertWarnings.CheckBFloat16(BertLinear.ComputeTypeOf(model) ?? model.parameters().First().dtype, options.Device);
        var (warnings, trainTargets, validationTargets) = Checked(train, validation);

        if (train[0].Text2 is not null && options.MaxSequenceLength is < 3)
            throw new ArgumentException(
                $"{nameof(ClassificationTrainerOptions.MaxSequenceLength)} is {options.MaxSequenceLength}, but pairs need at least 3 positions ([CLS] a [SEP] b [SEP] keeps [CLS] and two [SEP]).", nameof(options));
        var trainInputs = EncodeAll(train);
        int maxLen = options.MaxSequenceLength ?? trainInputs.Max(x => x.Length);
        maxLen = Math.Min(maxLen, model.Bert.Config.MaxPositionEmbeddings);
        trainInputs = trainInputs.Select(x => x.Truncate(maxLen)).ToArray();
        var validationInputs = EncodeAll(validation).Select(x => x.Truncate(maxLen)).ToArray();
        var collator = new ClassificationCollator(indexer.PadId, maxLen, options.PadToMultipleOf, options.Device);
        collator.Place(model);

        int batchesPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        var (totalSteps, warmupSteps) = TrainingSteps.Calculate(batchesPerEpoch, options.GradientAccumulationSteps, options.Epochs, options.WarmupProportion);

        var trainable = model.named_parameters()
            .Where(p => options.FreezePrefixes.Any(prefix => p.name.StartsWith(prefix, StringComparison.Ordinal)) ? Freeze(p.parameter) : p.parameter.requires_grad)
            .Select(p => (p.name, p.parameter))
            .ToList();
        if (trainable.Count == 0)
            throw new ArgumentException("Every parameter is frozen: nothing to train.", nameof(options));

        using var optimizer = new AdamWarmup(trainable, new AdamWarmupOptions
        {
            LearningRate = options.LearningRate,
            WarmupSteps = warmupSteps,
            DecaySteps = totalSteps,
            WeightDecay = options.WeightDecay,
            WeightDecayExclusions = AdamWarmupOptions.BertNoDecay,
            MaxGradNorm = options.MaxGradNorm,
        });
        using var classWeights = ClassWeightTensor(collator);

        // The checkpoint folder is this run's while it trains: a second run on it fails fast, naming this one.
        using var runLock = options.CheckpointDirectory is { } lockDir ? Bert.Core.IO.FolderLock.Acquire(lockDir, "training a classifier") : null;
        var state = new ClassificationRunState { MaxSequenceLength = maxLen, Labels = Labels.ToArray(), Fingerprint = Fingerprint(train, validation) };
        var best = new Dictionary<string, Tensor>();
        int resumedFrom = 0;
        if (options.CheckpointDirectory is { } dir && TrainerCheckpoint.Load<ClassificationRunState>(dir, TrainerCheckpoint.Classification, optimizer,
                (saved, path) =>
                {
                    if (saved.Fingerprint != state.Fingerprint)
                        throw new InvalidOperationException(
                            $"The checkpoint '{path}' belongs to a different run (other training or validation data, options or labels; " +
                            "its fingerprint is a hash of all of them). Delete it or choose another checkpoint directory.");
                },
                pathOf =>
                {
                    BertCheckpointLoader.Load(model, pathOf(TrainerCheckpoint.ModelFile), new CheckpointLoadOptions { AllowPositionSlicing = false });
                    foreach (var (name, value) in SafeTensors.Read(pathOf(BestFile)))
                        best[name] = value.DetachFromDisposeScope();
                }) is { } resumed)
        {
            state = resumed;
            resumedFrom = state.Epoch;
        }

        // Until an epoch completes, the weights the run started from are the ones to give back if it is cancelled or
        // diverges (the copy would exist after the first epoch anyway).
        if (best.Count == 0)
            Snapshot(best);
        bool stoppedEarly = false;
        // AdamWarmup takes the word embeddings' gradient as the rows of the batch's tokens (same bits, no dense table).
        var sparseWordGradients = model.Bert.Embeddings.SparseWordGradients;
        model.Bert.Embeddings.SparseWordGradients = true;
        try
        {
            for (int epoch = state.Epoch + 1; epoch <= options.Epochs; epoch++)
            {
                if (state.EpochsWithoutImprovement >= (options.EarlyStoppingPatience ?? int.MaxValue))
                {
                    stoppedEarly = true;
                    break;
                }
                var result = RunEpoch(epoch, trainInputs, trainTargets, optimizer, classWeights, collator, validation, validationInputs, validationTargets, batchesPerEpoch, progress, cancellationToken);
                state.History.Add(result);
                state.Epoch = epoch;
                if (state.BestEpoch == 0 || result.Score(SelectBestBy) > state.BestScore)
                {
                    state.BestEpoch = epoch;
                    state.BestScore = result.Score(SelectBestBy);
                    state.EpochsWithoutImprovement = 0;
                    Snapshot(best);
                }
                else
                {
                    state.EpochsWithoutImprovement++;
                }
                if (options.CheckpointDirectory is { } checkpointDir)
                    TrainerCheckpoint.Save(checkpointDir, TrainerCheckpoint.Classification, model, optimizer, state,
                        new Dictionary<string, IReadOnlyDictionary<string, Tensor>> { [BestFile] = best });
                progress?.Report(new TrainingProgress(epoch, options.Epochs, batchesPerEpoch, batchesPerEpoch, optimizer.StepCount,
                    result.TrainLoss, optimizer.CurrentLearningRate, result));
            }
        }
        finally
        {
            // Also when cancelled or diverged: the model keeps the best complete epoch (or, before one completed, the
            // weights it started from), not a half-trained one.
            model.load_state_dict(best, strict: true);
            model.eval();
            model.Bert.Embeddings.SparseWordGradients = sparseWordGradients;
            foreach (var t in best.Values) t.Dispose();
            trainedMaxSequenceLength = maxLen;
        }
        stoppedEarly |= state.Epoch < options.Epochs;
        return new TrainingResult(state.History.ToArray(), state.BestEpoch, maxLen, stoppedEarly, resumedFrom, totalSteps, warmupSteps) { Warnings = warnings };
    }

    /// <summary>
    /// The checks <see cref="Train"/> runs on its data before anything is trained, for callers that want the warnings
    /// first (labels without training examples, labels seen once): throws as <see cref="Train"/> would, else returns
    /// the warnings that <see cref="TrainingResult.Warnings"/> will hold.
    /// </summary>
    /// <param name="train">Training examples of the model's problem type.</param>
    /// <param name="validation">Validation examples.</param>
    /// <exception cref="ArgumentException">The data fail a check (see the remarks of <see cref="ClassificationTrainer"/>).</exception>
    public IReadOnlyList<string> CheckData(IReadOnlyList<TextExample> train, IReadOnlyList<TextExample> validation) =>
        Checked(train, validation).Warnings;

    /// <summary>The checks of <see cref="CheckData"/>, with the targets they build (which <see cref="Train"/> uses).</summary>
    private (IReadOnlyList<string> Warnings, Targets Train, Targets Validation) Checked(IReadOnlyList<TextExample> train, IReadOnlyList<TextExample> validation)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        if (validation.Count == 0) throw new ArgumentException("The validation set is empty.", nameof(validation));
        var warnings = TrainingDataChecks.Check(Labels, ProblemType, train, validation);
        return (warnings, Targets(train, nameof(train)), Targets(validation, nameof(validation)));
    }

    /// <summary>Predicts every example and measures the loss and the report of the problem type.</summary>
    /// <param name="examples">Examples of the model's problem type; every label must be one of <see cref="Labels"/>.</param>
    /// <param name="maxSequenceLength">Truncation length; null uses the length of the last <see cref="Train"/> call
    /// (<see cref="TrainingResult.MaxSequenceLength"/>), or the model's position table before any training.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public EvaluationResult Evaluate(IReadOnlyList<TextExample> examples, int? maxSequenceLength = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("The evaluation set is empty.", nameof(examples));
        TrainingDataChecks.CheckExamples(ProblemType, examples, nameof(examples));
        var targets = Targets(examples, nameof(examples));
        int maxLen = Math.Min(maxSequenceLength ?? trainedMaxSequenceLength ?? int.MaxValue, model.Bert.Config.MaxPositionEmbeddings);
        var inputs = EncodeAll(examples).Select(x => x.Truncate(maxLen)).ToArray();
        var collator = new ClassificationCollator(indexer.PadId, maxLen, options.PadToMultipleOf, options.Device);
        collator.Place(model);
        using var classWeights = ClassWeightTensor(collator);
        var (loss, outputs) = Predict(inputs, targets, classWeights, collator, cancellationToken);
        return EvaluationResult.Create(ProblemType, loss, examples, outputs.Select(o => Prediction.FromOutputs(o, Labels, ProblemType, model.Options.Threshold)).ToArray(), Labels);
    }

    private EpochResult RunEpoch(
        int epoch, EncodedInput[] trainInputs, Targets targets, AdamWarmup optimizer, Tensor? classWeights, ClassificationCollator collator,
        IReadOnlyList<TextExample> validation, EncodedInput[] validationInputs, Targets validationTargets, int batchesPerEpoch,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        torch.manual_seed(unchecked(options.Seed * 1_000_003L + epoch));
        var batches = BatchOrder(trainInputs.Select(x => x.Length).ToArray(), epoch);
        model.train();
        double lossSum = 0;
        var loop = new TrainingLoop(optimizer, options.GradientAccumulationSteps);
        for (int b = 0; b < batches.Count; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = batches[b];
            int batchNumber = b + 1;
            lossSum += loop.Batch(
                () =>
                {
                    var (ids, types, mask) = collator.Inputs(rows.Select(i => trainInputs[i]).ToArray(), options.DynamicPadding);
                    var logits = model.forward(ids, types, mask);
                    return model.Loss(logits, targets.Select(collator, rows), classWeights);
                },
                value => new TrainingDivergedException(epoch, batchNumber, optimizer.StepCount, value),
                lastOfSequence: b == batches.Count - 1);
            progress?.Report(new TrainingProgress(epoch, options.Epochs, b + 1, batchesPerEpoch, optimizer.StepCount,
                lossSum / (b + 1), optimizer.CurrentLearningRate, null));
        }

        var (validationLoss, outputs) = Predict(validationInputs, validationTargets, classWeights, collator, cancellationToken);
        var evaluation = EvaluationResult.Create(ProblemType, validationLoss, validation,
            outputs.Select(o => Prediction.FromOutputs(o, Labels, ProblemType, model.Options.Threshold)).ToArray(), Labels);
        var (accuracy, macroF1, weightedF1) = evaluation.Summary();
        return new EpochResult(epoch, lossSum / batches.Count, validationLoss, accuracy, macroF1, weightedF1, optimizer.CurrentLearningRate, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Runs the model without gradients, longest-first batches; mean loss and per-example outputs (probabilities or value) in input order.</summary>
    private (double Loss, float[][] Outputs) Predict(EncodedInput[] inputs, Targets targets, Tensor? classWeights, ClassificationCollator collator, CancellationToken cancellationToken)
    {
        model.eval();
        var order = Enumerable.Range(0, inputs.Length).OrderByDescending(i => inputs[i].Length).ToArray();
        var batches = InferenceStreams.Batches(order, options.EvaluationBatchSize, collator.Device);
        var outputs = new float[inputs.Length][];
        var losses = new double[batches.Length];
        InferenceStreams.ForEachBatch(batches.Length, collator.Device, b =>
        {
            var rows = batches[b];
            var (ids, types, mask) = collator.Inputs(rows.Select(i => inputs[i]).ToArray());
            var logits = model.forward(ids, types, mask);
            losses[b] = TrainingLoop.ReadLoss(model.Loss(logits, targets.Select(collator, rows), classWeights)) * rows.Length;
            var values = DevicePlacement.ToFloats(model.Probabilities(logits));
            int width = model.NumLabels;
            for (int r = 0; r < rows.Length; r++)
                outputs[rows[r]] = values.AsSpan(r * width, width).ToArray();
        }, cancellationToken);
        return (losses.Sum() / inputs.Length, outputs);
    }

    /// <summary>
    /// The batches of one epoch: a seeded shuffle; with length bucketing, windows of 50 batches are sorted by length,
    /// cut into batches, and the batches shuffled again, so that each batch pads little but the order stays random.
    /// </summary>
    internal List<int[]> BatchOrder(IReadOnlyList<int> lengths, int epoch)
    {
        // The one seeded generator of the library (Pcg64, as DataSplit): the same order on every .NET version.
        var random = new Pcg64(unchecked(((ulong)(uint)options.Seed << 32) | (uint)epoch));
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        random.Shuffle(order);
        int batch = options.BatchSize;
        var batches = new List<int[]>();
        if (options.LengthBucketing && options.DynamicPadding)
        {
            int window = batch * 50;
            for (int w = 0; w < order.Length; w += window)
            {
                var sorted = order.Skip(w).Take(window).OrderBy(i => lengths[i]).ToArray();
                for (int s = 0; s < sorted.Length; s += batch)
                    batches.Add(sorted.Skip(s).Take(batch).ToArray());
            }
            var shuffled = batches.ToArray();
            random.Shuffle(shuffled);
            return shuffled.ToList();
        }
        for (int s = 0; s < order.Length; s += batch)
            batches.Add(order.Skip(s).Take(batch).ToArray());
        return batches;
    }

    private EncodedInput[] EncodeAll(IReadOnlyList<TextExample> examples) =>
        indexer.EncodeMany(examples.Select(e => e.Text).ToArray(), examples[0].Text2 is null ? null : examples.Select(e => e.Text2!).ToArray()).ToArray();

    /// <summary>The targets of the examples, in the form the model's loss takes.</summary>
    private Targets Targets(IReadOnlyList<TextExample> examples, string parameter)
    {
        int Index(TextExample example, int i, string label) => labelIndex.TryGetValue(label, out int index) ? index
            : throw new ArgumentException(
                $"Example {i} ({example.Id ?? Preview(example.Text)}) has the label '{label}', which is not one of the trainer's labels: {string.Join(", ", Labels)}.",
                parameter);
        switch (ProblemType)
        {
            case ProblemType.SingleLabel:
                return new Targets(examples.Select((e, i) => (long)Index(e, i, e.Label!)).ToArray(), null, 1);
            case ProblemType.MultiLabel:
                var indicators = new float[examples.Count * Labels.Count];
                for (int i = 0; i < examples.Count; i++)
                    foreach (var label in examples[i].Labels!)
                        indicators[i * Labels.Count + Index(examples[i], i, label)] = 1f;
                return new Targets(null, indicators, Labels.Count);
            default:
                var values = new float[examples.Count];
                for (int i = 0; i < examples.Count; i++)
                {
                    values[i] = (float)examples[i].Value!.Value;
                    if (!float.IsFinite(values[i]))
                        throw new ArgumentException(
                            $"Example {i} ({examples[i].Id ?? Preview(examples[i].Text)}) has the target {examples[i].Value!.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, " +
                            $"beyond float32's range (±{float.MaxValue:R}) in which the model computes: rescale the targets.", parameter);
                }
                return new Targets(null, values, 1);
        }
    }

    private Tensor? ClassWeightTensor(ClassificationCollator collator)
    {
        if (options.ClassWeights is null) return null;
        if (ProblemType != ProblemType.SingleLabel)
            throw new ArgumentException($"ClassWeights apply to single-label training; the model is {ProblemType}.", nameof(options));
        foreach (var key in options.ClassWeights.Keys)
        {
            if (!labelIndex.ContainsKey(key))
                throw new ArgumentException($"ClassWeights names the unknown label '{key}'.", nameof(options));
        }
        return collator.Vector(Labels.Select(l => options.ClassWeights.TryGetValue(l, out var w) ? (float)w : 1f).ToArray());
    }

    private void Snapshot(Dictionary<string, Tensor> best)
    {
        foreach (var t in best.Values) t.Dispose();
        best.Clear();
        using var noGrad = no_grad();
        foreach (var (name, value) in model.state_dict())
            best[name] = DevicePlacement.CpuCopy(value).DetachFromDisposeScope();
    }

    /// <summary>
    /// Removes the training checkpoint that a finished run left in <paramref name="checkpointDirectory"/>: its manifest
    /// first (interrupted at any moment, the folder holds either the whole checkpoint or none that a run would resume),
    /// then only the files that manifest lists, the temporaries of killed saves and Bert.NET's lock files, then the
    /// <c>checkpoint/</c> subfolder if that left it empty. Other files (also in <c>checkpoint/</c>) stay, and
    /// <paramref name="checkpointDirectory"/> itself is never removed. Does nothing when there is no <c>checkpoint/</c>.
    /// </summary>
    /// <param name="checkpointDirectory">The run's <see cref="ClassificationTrainerOptions.CheckpointDirectory"/>.</param>
    /// <exception cref="IOException">Another run (in this or another process) holds the folder; or
    /// <c>checkpoint/</c> holds files but no Bert.NET training checkpoint (the message names the folder and the files;
    /// nothing is deleted).</exception>
    public static void DeleteCheckpoint(string checkpointDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointDirectory);
        TrainerCheckpoint.Delete(checkpointDirectory);
    }

    /// <summary>
    /// What identifies a run, so that a checkpoint is resumed only by the same run: a SHA-256 over the options, the
    /// labels and every example (texts and targets) of both sets, written with the invariant culture.
    /// </summary>
    private string Fingerprint(IReadOnlyList<TextExample> train, IReadOnlyList<TextExample> validation)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        void Add(string text)
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(text));
            hash.AppendData([0]);
        }
        Add(string.Join("|", new object?[]
        {
            "v3", ProblemType, options.Epochs, options.BatchSize, options.LearningRate, options.WarmupProportion, options.WeightDecay,
            options.MaxGradNorm, options.Seed, options.GradientAccumulationSteps, options.DynamicPadding, options.LengthBucketing,
            options.MaxSequenceLength, options.PadToMultipleOf,
        }.Select(o => Convert.ToString(o, System.Globalization.CultureInfo.InvariantCulture))));
        foreach (var label in Labels) Add(label);
        foreach (var (set, examples) in new[] { ("train", train), ("validation", validation) })
        {
            Add(set);
            foreach (var e in examples)
            {
                Add(e.Text);
                Add(e.Text2 ?? "\u0001");
                Add(e.FormatTarget());
            }
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static bool Freeze(Parameter parameter)
    {
        parameter.requires_grad = false;
        return false;
    }

    private static string Preview(string text) => text.Length <= 20 ? text : text[..20] + "…";
}
