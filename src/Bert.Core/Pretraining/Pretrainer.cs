using System.Diagnostics;
using System.Text.Json;
using Bert.Core.Checkpoints;
using Bert.Core.Optimization;
using Bert.Tokenization;
using TorchSharp;
using static TorchSharp.torch;
using Bert.Core.IO;

namespace Bert.Core.Pretraining;

/// <summary>
/// Pretrains a <see cref="BertForPreTraining"/> on batches of a <see cref="PretrainingBatchGenerator"/> with
/// <see cref="AdamWarmup"/> (linear warm-up then linear decay to 0 at the last step, weight decay except biases and
/// LayerNorm, gradient clipping), reports progress, writes resumable checkpoints atomically, and at the end exports the
/// model as a Hugging Face folder and as a TensorFlow checkpoint.
/// </summary>
/// <remarks>
/// <para>Layout of <see cref="PretrainerOptions.OutputDirectory"/>: <c>checkpoint/</c> (<c>model.safetensors</c>,
/// <c>optimizer.bin</c>, <c>trainer.json</c> with the step, the batch generator's state and libtorch's random state); at
/// the end <c>hf/</c> (<c>config.json</c> + <c>model.safetensors</c>) and <c>tf/</c> (<c>model.ckpt-N.index</c>,
/// <c>model.ckpt-N.data-00000-of-00001</c>, <c>bert_config.json</c>; the exports of earlier steps are removed).</para>
/// <para>A checkpoint is written in one save transaction (hidden temporaries renamed into place after a journal), so an interruption at any
/// moment leaves a complete checkpoint (<c>checkpoint/</c>, or <c>checkpoint.old/</c> during the swap). A resumed run
/// continues the same batches, dropout masks and optimizer state, so it ends with the same weights as an uninterrupted one.
/// When cancelled, the run writes a checkpoint of the last finished step before throwing.</para>
/// </remarks>
public sealed class Pretrainer
{
    private const string ModelFile = "model.safetensors";
    private const string OptimizerFile = "optimizer.state"; // the classification trainer's checkpoint uses the same names
    private const string StateFile = "trainer.json";

    private readonly BertForPreTraining _model;
    private readonly PretrainingBatchGenerator _generator;
    private readonly PretrainerOptions _options;

    /// <summary>Prepares a run; nothing happens until <see cref="Run"/>.</summary>
    /// <param name="model">The model to train (updated in place).</param>
    /// <param name="generator">The source of batches (its state is saved and restored with the checkpoints).</param>
    /// <param name="options">The settings (validated and copied).</param>
    /// <exception cref="ArgumentException">The options are invalid, or the generator makes sequences longer than the model's positions.</exception>
    public Pretrainer(BertForPreTraining model, PretrainingBatchGenerator generator, PretrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        _options.Validate();
        var maxLength = generator.Options.MaxSequenceLength;
        if (maxLength > model.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"The generator makes sequences of up to {maxLength} tokens, but the model has {model.Config.MaxPositionEmbeddings} positions (max_position_embeddings).", nameof(generator));
        _model = model;
        _generator = generator;
    }

    /// <summary>The folder of the resumable checkpoint.</summary>
    public string CheckpointDirectory => Path.Combine(_options.OutputDirectory, "checkpoint");

    /// <summary>
    /// Trains up to <see cref="PretrainerOptions.Steps"/> steps (from the checkpoint's step when resuming), then exports.
    /// </summary>
    /// <param name="progress">Receives a report every <see cref="PretrainerOptions.ProgressEvery"/> steps and at the last one.</param>
    /// <param name="cancellationToken">Stops after the current step (a checkpoint of it is written first).</param>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    /// <exception cref="InvalidDataException">Resuming from a checkpoint that is damaged or does not fit the model.</exception>
    public PretrainingResult Run(IProgress<PretrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        TorchRuntime.EnsureAvailable();
        Directory.CreateDirectory(_options.OutputDirectory);
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

        _model.train();
        while (step < _options.Steps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                if (step > lastCheckpoint) SaveCheckpoint(optimizer, step);
                cancellationToken.ThrowIfCancellationRequested();
            }
            TrainStep(optimizer, window);
            step++;
            if (_options.CheckpointEvery > 0 && step % _options.CheckpointEvery == 0)
            {
                SaveCheckpoint(optimizer, step);
                lastCheckpoint = step;
            }
            if (step % _options.ProgressEvery == 0 || step == _options.Steps)
            {
                var seconds = Math.Max(windowClock.Elapsed.TotalSeconds, 1e-9);
                var report = window.Report(step, _options.Steps, optimizer.CurrentLearningRate, window.Sequences / seconds, total.Elapsed);
                history.Add(report);
                progress?.Report(report);
                window = new Window();
                windowClock.Restart();
            }
        }
        if (step > lastCheckpoint || !Directory.Exists(CheckpointDirectory))
            SaveCheckpoint(optimizer, step);
        _model.eval();

        string? hf = null, tf = null;
        if (_options.ExportAtEnd)
        {
            hf = Path.Combine(_options.OutputDirectory, "hf");
            BertPreTrainingCheckpoint.SaveHuggingFace(_model, hf);
            var tfDirectory = Path.Combine(_options.OutputDirectory, "tf");
            // One save transaction: the export of an earlier (resumed) segment that this folder's manifest lists is
            // replaced, so loaders find one checkpoint; model.ckpt-* files that Bert.NET did not write stay.
            tf = BertPreTrainingCheckpoint.SaveTensorFlow(_model, tfDirectory, step, cancellationToken);
        }
        return new PretrainingResult(step, startStep, history, CheckpointDirectory, hf, tf);
    }

    private void TrainStep(AdamWarmup optimizer, Window window)
    {
        using var batch = _generator.NextBatch(_options.BatchSize);
        using var scope = NewDisposeScope();
        optimizer.ZeroGrad();
        using var loss = _model.ComputeLoss(batch);
        loss.Total.backward();
        optimizer.Step();
        window.Add(loss, batch.BatchSize);
    }

    private void SaveCheckpoint(AdamWarmup optimizer, long step)
    {
        using var rng = get_rng_state();
        var state = new TrainerState
        {
            Step = step,
            BatchSize = _options.BatchSize,
            Generator = _generator.GetState(),
            TorchRandomState = Convert.ToBase64String(rng.data<byte>().ToArray()),
        };
        using var save = SaveTransaction.Begin(CheckpointDirectory, "writing a pretraining checkpoint");
        using (no_grad())
            save.Write(ModelFile, s => SafeTensors.Write(s, _model.state_dict()));
        save.Write(OptimizerFile, optimizer.SaveState);
        save.WriteText(StateFile, JsonSerializer.Serialize(state, JsonOptions));
        save.Commit();
    }

    private long? TryLoadCheckpoint(AdamWarmup optimizer)
    {
        // The files of the last committed checkpoint, checked against its manifest.
        var directory = CheckpointDirectory;
        var files = Directory.Exists(directory) ? SaveManifest.Resolve(directory) : null;
        if (files is null || !files.TryGetValue(StateFile, out var statePath))
            return null;
        string PathOf(string name) => files.GetValueOrDefault(name)
            ?? throw new InvalidDataException($"The pretraining checkpoint in '{directory}' has no {name}.");
        TrainerState state;
        try
        {
            state = JsonSerializer.Deserialize<TrainerState>(BoundedFile.ReadAllText(statePath, BoundedFile.MaxJsonBytes, "pretraining state"), JsonOptions)
                ?? throw new InvalidDataException($"'{statePath}' is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{statePath}' is not a pretraining state: {ex.Message}", ex);
        }
        if (state.Generator is null || state.TorchRandomState is null)
            throw new InvalidDataException($"'{statePath}' lacks the generator or random state.");
        if (state.BatchSize != _options.BatchSize)
            throw new InvalidDataException($"'{statePath}' was written with BatchSize {state.BatchSize}; resume with the same batch size, not {_options.BatchSize}.");
        if (state.Step > _options.Steps)
            throw new InvalidDataException($"'{statePath}' is at step {state.Step}, beyond Steps {_options.Steps}.");
        BertPreTrainingCheckpoint.Load(_model, PathOf(ModelFile), strict: true);
        optimizer.LoadState(PathOf(OptimizerFile));
        if (optimizer.StepCount != state.Step)
            throw new InvalidDataException($"'{directory}': the optimizer is at step {optimizer.StepCount} but the trainer state at {state.Step}.");
        _generator.RestoreState(state.Generator);
        using var rng = tensor(Convert.FromBase64String(state.TorchRandomState), ScalarType.Byte);
        set_rng_state(rng);
        return state.Step;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private sealed class TrainerState
    {
        public long Step { get; set; }
        public int BatchSize { get; set; }
        public PretrainingBatchGeneratorState? Generator { get; set; }
        public string? TorchRandomState { get; set; }
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
