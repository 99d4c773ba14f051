using Bert.Core.Modeling;
using System.Diagnostics;
using Bert.Classification.Data;
using Bert.Classification.Metrics;
using Bert.Core.Optimization;
using Bert.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bert.Classification.Training;

/// <summary>
/// Fine-tunes a <see cref="BertForSequenceClassification"/> on labelled texts with <see cref="AdamWarmup"/>
/// (linear warmup, then linear decay), evaluates every epoch, keeps the best epoch by a chosen metric, and
/// restores its weights at the end. With <see cref="ClassificationTrainerOptions.CheckpointDirectory"/> it writes
/// a training checkpoint after every epoch and resumes from it.
/// </summary>
/// <remarks>
/// Reproducibility: the shuffling of epoch <c>e</c> and its dropout masks are derived from (seed, e) only, so a run
/// resumed from the checkpoint of epoch <c>e-1</c> computes the same epochs as the uninterrupted run.
/// </remarks>
public sealed class ClassificationTrainer
{
    private readonly BertForSequenceClassification model;
    private readonly IBertIndexer indexer;
    private readonly ClassificationTrainerOptions options;
    private readonly Dictionary<string, int> labelIndex;

    /// <summary>Creates a trainer for <paramref name="model"/> whose outputs are <paramref name="labels"/>, in order.</summary>
    /// <param name="model">The classifier to train (single-label).</param>
    /// <param name="indexer">Turns texts into [CLS] pieces [SEP].</param>
    /// <param name="labels">Label names, one per model output.</param>
    /// <param name="options">Training options; null for the defaults.</param>
    public ClassificationTrainer(
        BertForSequenceClassification model, IBertIndexer indexer, IReadOnlyList<string> labels, ClassificationTrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(indexer);
        ArgumentNullException.ThrowIfNull(labels);
        this.options = options ?? new ClassificationTrainerOptions();
        this.options.Validate();
        if (model.Options.ProblemType != ProblemType.SingleLabel)
            throw new ArgumentException("ClassificationTrainer trains single-label classifiers; the model's head is " + model.Options.ProblemType + ".", nameof(model));
        if (labels.Count != model.NumLabels)
            throw new ArgumentException($"The model has {model.NumLabels} outputs but {labels.Count} labels were given.", nameof(labels));
        if (labels.Distinct(StringComparer.Ordinal).Count() != labels.Count)
            throw new ArgumentException("Label names must be unique.", nameof(labels));
        this.model = model;
        this.indexer = indexer;
        Labels = labels.ToArray();
        labelIndex = Labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
    }

    /// <summary>The label names, in the order of the model's outputs.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The options in use.</summary>
    public ClassificationTrainerOptions Options => options;

    /// <summary>
    /// Trains for <see cref="ClassificationTrainerOptions.Epochs"/> epochs (or until early stopping), validating after
    /// each, and leaves the best epoch's weights in the model.
    /// </summary>
    /// <param name="train">Training examples; every label must be one of <see cref="Labels"/>.</param>
    /// <param name="validation">Validation examples, used to pick the best epoch.</param>
    /// <param name="progress">Receives a report after every batch and every epoch.</param>
    /// <param name="cancellationToken">Stops between batches; the last complete checkpoint stays intact.</param>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite.</exception>
    public TrainingResult Train(
        IReadOnlyList<TextExample> train,
        IReadOnlyList<TextExample> validation,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(validation);
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        if (validation.Count == 0) throw new ArgumentException("The validation set is empty.", nameof(validation));
        var trainTargets = Targets(train, nameof(train));
        var validationTargets = Targets(validation, nameof(validation));

        var trainInputs = EncodeAll(train);
        int maxLen = options.MaxSequenceLength ?? trainInputs.Max(x => x.Length);
        maxLen = Math.Min(maxLen, model.Bert.Config.MaxPositionEmbeddings);
        trainInputs = trainInputs.Select(x => InputTruncation.Truncate(x, maxLen, indexer.SepId)).ToArray();
        var validationInputs = EncodeAll(validation).Select(x => InputTruncation.Truncate(x, maxLen, indexer.SepId)).ToArray();

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
        using var classWeights = ClassWeightTensor();

        var state = new TrainingCheckpoint.State { MaxSequenceLength = maxLen, Labels = Labels.ToArray(), Fingerprint = Fingerprint(train.Count) };
        var best = new Dictionary<string, Tensor>();
        int resumedFrom = 0;
        if (options.CheckpointDirectory is { } dir && TrainingCheckpoint.Exists(dir))
        {
            state = TrainingCheckpoint.Load(dir, model, optimizer, best, state);
            resumedFrom = state.Epoch;
        }

        bool stoppedEarly = false;
        try
        {
            for (int epoch = state.Epoch + 1; epoch <= options.Epochs; epoch++)
            {
                if (state.EpochsWithoutImprovement >= (options.EarlyStoppingPatience ?? int.MaxValue))
                {
                    stoppedEarly = true;
                    break;
                }
                var result = RunEpoch(epoch, trainInputs, trainTargets, optimizer, classWeights, validation, validationInputs, validationTargets, maxLen, batchesPerEpoch, progress, cancellationToken);
                state.History.Add(result);
                state.Epoch = epoch;
                state.Step = optimizer.StepCount;
                if (state.BestEpoch == 0 || result.Score(options.SelectBestBy) > state.BestScore)
                {
                    state.BestEpoch = epoch;
                    state.BestScore = result.Score(options.SelectBestBy);
                    state.EpochsWithoutImprovement = 0;
                    Snapshot(best);
                }
                else
                {
                    state.EpochsWithoutImprovement++;
                }
                if (options.CheckpointDirectory is { } checkpointDir)
                    TrainingCheckpoint.Save(checkpointDir, model, optimizer, best, state);
                progress?.Report(new TrainingProgress(epoch, options.Epochs, batchesPerEpoch, batchesPerEpoch, optimizer.StepCount,
                    result.TrainLoss, optimizer.CurrentLearningRate, result));
            }
            if (best.Count > 0)
                model.load_state_dict(best, strict: true);
        }
        finally
        {
            foreach (var t in best.Values) t.Dispose();
        }
        stoppedEarly |= state.Epoch < options.Epochs;
        return new TrainingResult(state.History.ToArray(), state.BestEpoch, maxLen, stoppedEarly, resumedFrom, totalSteps, warmupSteps);
    }

    /// <summary>Predicts every example and measures loss, accuracy, precision, recall and F1.</summary>
    /// <param name="examples">Labelled examples; every label must be one of <see cref="Labels"/>.</param>
    /// <param name="maxSequenceLength">Truncation length; null uses the model's position table.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    public EvaluationResult Evaluate(IReadOnlyList<TextExample> examples, int? maxSequenceLength = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("The evaluation set is empty.", nameof(examples));
        var targets = Targets(examples, nameof(examples));
        int maxLen = Math.Min(maxSequenceLength ?? int.MaxValue, model.Bert.Config.MaxPositionEmbeddings);
        var inputs = EncodeAll(examples).Select(x => InputTruncation.Truncate(x, maxLen, indexer.SepId)).ToArray();
        var (loss, probabilities) = Predict(inputs, targets, null, maxLen, cancellationToken);
        var predicted = probabilities.Select(p => Labels[ArgMax(p)]).ToArray();
        var report = ClassificationReport.Create(examples.Select(e => e.Label).ToArray(), predicted, Labels);
        return new EvaluationResult(loss, predicted, probabilities, report);
    }

    private EpochResult RunEpoch(
        int epoch, EncodedInput[] trainInputs, long[] targets, AdamWarmup optimizer, Tensor? classWeights,
        IReadOnlyList<TextExample> validation, EncodedInput[] validationInputs, long[] validationTargets, int maxLen, int batchesPerEpoch,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        torch.manual_seed(unchecked(options.Seed * 1_000_003L + epoch));
        var batches = BatchOrder(trainInputs.Select(x => x.Length).ToArray(), epoch);
        model.train();
        double lossSum = 0;
        int accumulated = 0;
        optimizer.ZeroGrad();
        for (int b = 0; b < batches.Count; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                var rows = batches[b];
                var inputs = rows.Select(i => trainInputs[i]).ToArray();
                int width = options.DynamicPadding ? BertBatch.PaddedLength(inputs.Max(x => x.Length), options.PadToMultipleOf, maxLen) : maxLen;
                using var batch = BertBatch.Collate(inputs, indexer.PadId, width);
                using var target = tensor(rows.Select(i => targets[i]).ToArray(), ScalarType.Int64);
                var logits = model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
                var loss = model.Loss(logits, target, classWeights);
                double value = loss.item<float>();
                if (!double.IsFinite(value))
                    throw new TrainingDivergedException(epoch, b + 1, optimizer.StepCount, value);
                lossSum += value;
                (options.GradientAccumulationSteps > 1 ? loss / options.GradientAccumulationSteps : loss).backward();
            }
            if (++accumulated == options.GradientAccumulationSteps || b == batches.Count - 1)
            {
                optimizer.Step();
                optimizer.ZeroGrad();
                accumulated = 0;
            }
            progress?.Report(new TrainingProgress(epoch, options.Epochs, b + 1, batchesPerEpoch, optimizer.StepCount,
                lossSum / (b + 1), optimizer.CurrentLearningRate, null));
        }

        var (validationLoss, probabilities) = Predict(validationInputs, validationTargets, classWeights, maxLen, cancellationToken);
        var predicted = probabilities.Select(p => Labels[ArgMax(p)]).ToArray();
        var report = ClassificationReport.Create(validation.Select(e => e.Label).ToArray(), predicted, Labels);
        return new EpochResult(epoch, lossSum / batches.Count, validationLoss, report.Accuracy, report.MacroAvg.F1,
            report.WeightedAvg.F1, optimizer.CurrentLearningRate, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Runs the model on the inputs without gradients, longest-first batches, results in input order.</summary>
    private (double Loss, float[][] Probabilities) Predict(EncodedInput[] inputs, long[] targets, Tensor? classWeights, int maxLen, CancellationToken cancellationToken)
    {
        model.eval();
        var order = Enumerable.Range(0, inputs.Length).OrderByDescending(i => inputs[i].Length).ToArray();
        var probabilities = new float[inputs.Length][];
        double lossSum = 0;
        using var noGrad = no_grad();
        for (int start = 0; start < order.Length; start += options.EvaluationBatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var rows = order.Skip(start).Take(options.EvaluationBatchSize).ToArray();
            var batchInputs = rows.Select(i => inputs[i]).ToArray();
            using var batch = BertBatch.Collate(batchInputs, indexer.PadId, BertBatch.PaddedLength(batchInputs.Max(x => x.Length), options.PadToMultipleOf, maxLen));
            var logits = model.forward(batch.InputIds, batch.TokenTypeIds, batch.AttentionMask);
            var target = tensor(rows.Select(i => targets[i]).ToArray(), ScalarType.Int64);
            lossSum += nn.functional.cross_entropy(logits, target, classWeights, reduction: nn.Reduction.Sum).item<float>();
            var p = logits.softmax(-1).to(ScalarType.Float32).data<float>().ToArray();
            for (int r = 0; r < rows.Length; r++)
                probabilities[rows[r]] = p.AsSpan(r * Labels.Count, Labels.Count).ToArray();
        }
        return (lossSum / inputs.Length, probabilities);
    }

    /// <summary>
    /// The batches of one epoch: a seeded shuffle; with length bucketing, windows of 50 batches are sorted by length,
    /// cut into batches, and the batches shuffled again, so that each batch pads little but the order stays random.
    /// </summary>
    internal List<int[]> BatchOrder(IReadOnlyList<int> lengths, int epoch)
    {
        var random = new Random(unchecked(options.Seed * 7919 + epoch));
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
        indexer.EncodeMany(examples.Select(e => e.Text).ToArray()).ToArray();

    private long[] Targets(IReadOnlyList<TextExample> examples, string parameter)
    {
        var targets = new long[examples.Count];
        for (int i = 0; i < examples.Count; i++)
        {
            if (!labelIndex.TryGetValue(examples[i].Label, out int index))
                throw new ArgumentException(
                    $"Example {i} ({examples[i].Id ?? Preview(examples[i].Text)}) has the label '{examples[i].Label}', which is not one of the trainer's labels: {string.Join(", ", Labels)}.",
                    parameter);
            targets[i] = index;
        }
        return targets;
    }

    private Tensor? ClassWeightTensor()
    {
        if (options.ClassWeights is null) return null;
        foreach (var key in options.ClassWeights.Keys)
        {
            if (!labelIndex.ContainsKey(key))
                throw new ArgumentException($"ClassWeights names the unknown label '{key}'.", nameof(options));
        }
        return tensor(Labels.Select(l => options.ClassWeights.TryGetValue(l, out var w) ? (float)w : 1f).ToArray());
    }

    private void Snapshot(Dictionary<string, Tensor> best)
    {
        foreach (var t in best.Values) t.Dispose();
        best.Clear();
        using var noGrad = no_grad();
        foreach (var (name, value) in model.state_dict())
            best[name] = value.detach().clone().DetachFromDisposeScope();
    }

    private string Fingerprint(int trainCount) => string.Join("|",
        "v1", trainCount, options.Epochs, options.BatchSize, options.LearningRate, options.WarmupProportion, options.WeightDecay,
        options.MaxGradNorm, options.Seed, options.GradientAccumulationSteps, options.DynamicPadding, options.LengthBucketing,
        string.Join(",", Labels));

    private static bool Freeze(Parameter parameter)
    {
        parameter.requires_grad = false;
        return false;
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    private static string Preview(string text) => text.Length <= 20 ? text : text[..20] + "…";
}
