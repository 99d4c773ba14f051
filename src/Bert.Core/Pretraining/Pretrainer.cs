using System.Diagnostics;
using Bert.Core.Checkpoints;
using Bert.Core.Optimization;
using Bert.Core.Training;
using Bert.Tokenization;
using TorchSharp;
using static TorchSharp.torch;
using Bert.Core.IO;

using Bert.Core.Modeling;

namespace Bert.Core.Pretraining;

/// <summary>
/// Pretrains a <see cref="BertForPreTraining"/> on batches of a <see cref="PretrainingBatchGenerator"/> with
/// <see cref="AdamWarmup"/> (linear warm-up then linear decay to 0 at the last step, weight decay except biases and
/// LayerNorm, gradient clipping), reports progress, writes resumable checkpoints atomically, and at the end exports the
/// model as a Hugging Face folder and as a TensorFlow checkpoint.
/// </summary>
/// <remarks>
/// <para>Layout of <see cref="PretrainerOptions.OutputDirectory"/>: <c>checkpoint/</c>, the training checkpoint layout
/// shared with the classification trainer (<c>model.safetensors</c>, <c>optimizer.state</c>, <c>trainer.json</c> of kind
/// <c>pretraining</c> with the step, libtorch's random state, the batch size, the batch generator's state and the run's
/// fingerprint: SHA-256 hashes of the tokenized corpus, the generator's options, the trainer options that change the
/// result and the model config, so that only the same run resumes; Steps may be raised); at the end
/// <c>hf/</c> (<c>config.json</c> + <c>model.safetensors</c>, and the tokenizer's files when one is given) and <c>tf/</c> (<c>model.ckpt-N.index</c>,
/// <c>model.ckpt-N.data-00000-of-00001</c>, <c>bert_config.json</c>; the exports of earlier steps are removed).</para>
/// <para>A checkpoint is written in one save transaction (hidden temporaries renamed into place after a journal), so an
/// interruption at any moment leaves the previous or the new checkpoint. A resumed run continues the same batches,
/// dropout masks and optimizer state, so it ends with the same weights as an uninterrupted one. When cancelled, the run
/// writes a checkpoint of the last finished step before throwing. Checkpoints of the older pretraining layout are refused
/// with a message naming the file.</para>
/// <para>Each step goes through the optimisation step shared with the classification trainer: losses are read as
/// float32 and a NaN or infinite loss throws <see cref="TrainingDivergedException"/>. The model and every batch live on
/// <see cref="PretrainerOptions.Device"/> (only the CPU is tested: CUDA is untested).</para>
/// </remarks>
public sealed class Pretrainer
{
    private readonly BertForPreTraining _model;
    private readonly PretrainingBatchGenerator _generator;
    private readonly PretrainerOptions _options;
    private readonly DevicePlacement _device;
    private readonly IBertIndexer? _tokenizer;
    private PretrainingFingerprint? _fingerprint;

    /// <summary>Prepares a run; nothing happens until <see cref="Run"/>.</summary>
    /// <param name="model">The model to train (updated in place).</param>
    /// <param name="generator">The source of batches (its state is saved and restored with the checkpoints).</param>
    /// <param name="options">The settings (validated and copied).</param>
    /// <param name="tokenizer">The tokenizer of the corpus, written into <c>hf/</c> with the model (so that the folder is a
    /// complete Hugging Face model that <c>TextEmbedder.Load</c>, <c>BertIndexer.Load</c> and fine-tuning read with its
    /// own tokenizer); null to export the model only.</param>
    /// <exception cref="ArgumentException">The options are invalid, or the generator makes sequences longer than the model's positions.</exception>
    /// <exception cref="InvalidDataException">The tokenizer's vocabulary or special ids do not fit the model's config.</exception>
    public Pretrainer(BertForPreTraining model, PretrainingBatchGenerator generator, PretrainerOptions options, IBertIndexer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        var maxLength = generator.Options.MaxSequenceLength;
        if (maxLength > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"The generator makes sequences of up to {maxLength} tokens, but the model has {model.Config.MaxPositionEmbeddings} positions (max_position_embeddings).", nameof(generator));
        if (tokenizer is not null)
            model.Config.ValidateIndexer(tokenizer);
        _model = model;
        _generator = generator;
        _tokenizer = tokenizer;
        _device = new DevicePlacement(_options.Device);
    }

    /// <summary>The folder of the resumable checkpoint.</summary>
    public string CheckpointDirectory => Path.Combine(_options.OutputDirectory, TrainerCheckpoint.Folder);

    /// <summary>
    /// Trains up to <see cref="PretrainerOptions.Steps"/> steps (from the checkpoint's step when resuming), then exports.
    /// </summary>
    /// <param name="progress">Receives a report every <see cref="PretrainerOptions.ProgressEvery"/> steps and at the last one.</param>
    /// <param name="cancellationToken">Stops after the current step (a checkpoint of it is written first).</param>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="IOException">Another run (in this or another process) is using <see cref="PretrainerOptions.OutputDirectory"/>
    /// (the message names it), or <see cref="PretrainerOptions.Resume"/> is false and the folder holds an earlier run's checkpoint.</exception>
    /// <exception cref="InvalidDataException">Resuming from a checkpoint that is damaged, of an older layout, does not fit the
    /// model, or belongs to another run (another corpus, generator options, trainer options or config; the message names which).</exception>
    /// <exception cref="TrainingDivergedException">The loss became NaN or infinite (the last checkpoint is intact).</exception>
    public PretrainingResult Run(IProgress<PretrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        TorchRuntime.EnsureAvailable();
        BertWarnings.CheckBFloat16(BertLinear.ComputeTypeOf(_model) ?? _model.parameters().First().dtype, _options.Device);
        // The output folder is this run's while it trains: a second run on it fails fast, naming this one. The run's
        // saves go into its subfolders (checkpoint/, hf/, tf/), each locked by its own save, never this folder again.
        using var runLock = FolderLock.Acquire(_options.OutputDirectory, "pretraining");
        if (!_options.Resume && TrainerCheckpoint.Exists(_options.OutputDirectory))
            throw new IOException($"'{Path.GetFullPath(_options.OutputDirectory)}' holds the checkpoint of an earlier pretraining run " +
                $"('{CheckpointDirectory}'); a new run would replace it and its exports. Continue that run with Resume " +
                "(PretrainerOptions.Resume; the CLI's --resume), or choose another output folder.");
        _device.Place(_model);
        using var optimizer = new AdamWarmup(_model.named_parameters(), new AdamWarmupOptions
        {
            LearningRate = _options.LearningRate,
            WarmupSteps = _options.EffectiveWarmupSteps,
            DecaySteps = _options.Steps,
            WeightDecay = _options.WeightDecay,
            MaxGradNorm = _options.MaxGradNorm,
        });

        long step = 0;
        if (_options.Resume && TryLoadCheckpoint(optimizer) is { } resumedStep)
            step = resumedStep;
        else
            manual_seed(_options.Seed);
        var startStep = step;
        var history = new List<PretrainingProgress>();
        var window = new Window();
        var total = Stopwatch.StartNew();
        var windowClock = Stopwatch.StartNew();
        long lastCheckpoint = step;
        long windowStart = step + 1;

        _model.train();
        var loop = new TrainingLoop(optimizer);
        while (step < _options.Steps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (step > lastCheckpoint) SaveCheckpoint(optimizer);
                cancellationToken.ThrowIfCancellationRequested();
            }
            TrainStep(loop, optimizer, window);
            step++;
            if (_options.CheckpointEvery > 0 && step % _options.CheckpointEvery == 0)
            {
                SaveCheckpoint(optimizer);
                lastCheckpoint = step;
            }
            if (step % _options.ProgressEvery == 0 || step == _options.Steps)
            {
                var seconds = Math.Max(windowClock.Elapsed.TotalSeconds, 1e-9);
                var report = window.Report(step, _options.Steps, optimizer.CurrentLearningRate, window.Sequences / seconds, total.Elapsed) with { FirstStep = windowStart };
                windowStart = step + 1;
                history.Add(report);
                progress?.Report(report);
                window = new Window();
                windowClock.Restart();
            }
        }
        if (step > lastCheckpoint || !Directory.Exists(CheckpointDirectory))
            SaveCheckpoint(optimizer);
        _model.eval();

        string? hf = null, tf = null;
        if (_options.ExportAtEnd)
        {
            hf = Path.Combine(_options.OutputDirectory, "hf");
            BertPreTrainingCheckpoint.SaveHuggingFace(_model, hf, _tokenizer);
            var tfDirectory = Path.Combine(_options.OutputDirectory, "tf");
            // One save transaction: the export of an earlier (resumed) segment that this folder's manifest lists is
            // replaced, so loaders find one checkpoint; model.ckpt-* files that Bert.NET did not write stay.
            tf = BertPreTrainingCheckpoint.SaveTensorFlow(_model, tfDirectory, step, cancellationToken);
        }
        return new PretrainingResult(step, startStep, history, CheckpointDirectory, hf, tf);
    }

    private void TrainStep(TrainingLoop loop, AdamWarmup optimizer, Window window)
    {
        using var batch = _generator.NextBatch(_options.BatchSize);
        loop.Batch(
            () =>
            {
                using var onDevice = batch.To(_device);
                var loss = _model.ComputeLoss(onDevice); // its Total lives in the loop's dispose scope
                window.Add(loss, batch.BatchSize);
                return loss.Total;
            },
            value => new TrainingDivergedException(optimizer.StepCount, value));
    }

    private void SaveCheckpoint(AdamWarmup optimizer) =>
        TrainerCheckpoint.Save(_options.OutputDirectory, TrainerCheckpoint.Pretraining, _model, optimizer,
            new PretrainingRunState { BatchSize = _options.BatchSize, Generator = _generator.GetState(), Fingerprint = Fingerprint() });

    // What identifies this run (see PretrainingFingerprint); computed once per run.
    private PretrainingFingerprint Fingerprint() => _fingerprint ??= new PretrainingFingerprint(
        _generator.CorpusFingerprint(),
        _generator.OptionsFingerprint(),
        PretrainingFingerprint.Hash(add => add(PretrainingFingerprint.Invariant("trainer-v1", _options.BatchSize, _options.LearningRate,
            _options.WarmupSteps, _options.WarmupProportion, _options.WeightDecay, _options.MaxGradNorm, _options.Seed))),
        PretrainingFingerprint.Hash(add => add(_model.Config.ToJson())));

    private long? TryLoadCheckpoint(AdamWarmup optimizer)
    {
        var state = TrainerCheckpoint.Load<PretrainingRunState>(_options.OutputDirectory, TrainerCheckpoint.Pretraining, optimizer,
            (saved, statePath) =>
            {
                if (saved.Generator is null)
                    throw new InvalidDataException($"'{statePath}' lacks the batch generator's state.");
                if (saved.BatchSize != _options.BatchSize)
                    throw new InvalidDataException($"'{statePath}' was written with BatchSize {saved.BatchSize}; resume with the same batch size, not {_options.BatchSize}.");
                if (saved.Fingerprint is null)
                    throw new InvalidDataException($"'{statePath}' has no run fingerprint (written by an earlier Bert.NET), so this run cannot " +
                        "tell whether it is the same; start the run again in another output folder.");
                if (saved.Fingerprint.Differences(Fingerprint()) is { Count: > 0 } differences)
                    throw new InvalidDataException($"'{statePath}' belongs to another run: {string.Join(", ", differences)} differ. " +
                        "Resume with the same corpus, tokenizer, config and options (Steps may be raised), or choose another output folder.");
            },
            pathOf => BertPreTrainingCheckpoint.Load(_model, pathOf(TrainerCheckpoint.ModelFile), strict: true));
        if (state is null)
            return null;
        if (optimizer.StepCount > _options.Steps)
            throw new InvalidDataException($"The checkpoint in '{CheckpointDirectory}' is at step {optimizer.StepCount}, beyond Steps {_options.Steps}.");
        try
        {
            _generator.RestoreState(state.Generator!);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"The checkpoint in '{CheckpointDirectory}' holds an invalid batch generator state: {ex.Message}", ex);
        }
        return optimizer.StepCount;
    }

    private sealed class Window
    {
        private double _mlmLoss, _nspLoss;
        private long _mlmCorrect, _mlmCount, _nspCorrect, _nspCount, _steps;

        public long Sequences { get; private set; }

        public void Add(BertPreTrainingLoss loss, int sequences)
        {
            _mlmLoss += loss.MaskedLm;
            _nspLoss += loss.NextSentence;
            _mlmCorrect += loss.MaskedLmCorrect;
            _mlmCount += loss.MaskedLmCount;
            _nspCorrect += loss.NextSentenceCorrect;
            _nspCount += loss.NextSentenceCount;
            _steps++;
            Sequences += sequences;
        }

        public PretrainingProgress Report(long step, long totalSteps, double learningRate, double sequencesPerSecond, TimeSpan elapsed) => new(
            step, totalSteps,
            _steps == 0 ? 0 : _mlmLoss / _steps,
            _mlmCount == 0 ? 0 : (double)_mlmCorrect / _mlmCount,
            _steps == 0 ? 0 : _nspLoss / _steps,
            _nspCount == 0 ? 0 : (double)_nspCorrect / _nspCount,
            learningRate, sequencesPerSecond, elapsed);
    }
}
