using System.Globalization;

namespace Bert.Core.Pretraining;

/// <summary>Settings of <see cref="Pretrainer"/>. The sequence length and masking settings belong to the batch generator.</summary>
public sealed class PretrainerOptions
{
    /// <summary>The number of optimizer steps (batches) to reach. Default 10000.</summary>
    public long Steps { get; set; } = 10000;

    /// <summary>Sequences per batch. Default 32.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>The peak learning rate of AdamWarmup. Default 1e-4 (Google's BERT pretraining value).</summary>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>
    /// Linear warm-up steps; null for <see cref="WarmupProportion"/> of <see cref="Steps"/>. The rate then decays linearly
    /// to 0 at <see cref="Steps"/>. Default null.
    /// </summary>
    public long? WarmupSteps { get; set; }

    /// <summary>The warm-up share of the steps when <see cref="WarmupSteps"/> is null. Default 0.1.</summary>
    public double WarmupProportion { get; set; } = 0.1;

    /// <summary>Decoupled weight decay, not applied to biases and LayerNorm weights. Default 0.01 (Google's BERT).</summary>
    public double WeightDecay { get; set; } = 0.01;

    /// <summary>Global gradient-norm clipping; null for none. Default 1.0 (Google's BERT).</summary>
    public double? MaxGradNorm { get; set; } = 1.0;

    /// <summary>Write a resumable checkpoint every this many steps; 0 for only at the end (and on cancellation). Default 1000.</summary>
    public long CheckpointEvery { get; set; } = 1000;

    /// <summary>Report progress every this many steps (means over those steps). Default 10.</summary>
    public int ProgressEvery { get; set; } = 10;

    /// <summary>
    /// The folder of the run: <c>checkpoint/</c> (resumable state), and at the end <c>hf/</c> (config.json +
    /// model.safetensors) and <c>tf/</c> (<c>model.ckpt-N</c> + bert_config.json). Required.
    /// </summary>
    public string OutputDirectory { get; set; } = "";

    /// <summary>
    /// Continue from <c>OutputDirectory/checkpoint/</c> when it exists (model, optimizer, step, random states). Default
    /// false: a run that does not resume refuses a folder that already holds a checkpoint rather than replace it. Only the
    /// same run resumes (same corpus, generator options, config and options other than <see cref="Steps"/>, which may be
    /// raised); another run's checkpoint is refused naming what differs.
    /// </summary>
    public bool Resume { get; set; }

    /// <summary>The seed of libtorch's generator (dropout) at the start of a run that does not resume. Default 12345.</summary>
    public long Seed { get; set; } = 12345;

    /// <summary>
    /// The device of the model and of every batch; null for the CPU. The model is moved there when the run starts. Only
    /// the CPU is tested here: CUDA is untested.
    /// </summary>
    public TorchSharp.torch.Device? Device { get; set; }

    /// <summary>Write <c>hf/</c> and <c>tf/</c> at the end. Default true.</summary>
    public bool ExportAtEnd { get; set; } = true;

    /// <summary>The warm-up steps in use: <see cref="WarmupSteps"/>, or <see cref="WarmupProportion"/> of <see cref="Steps"/>.</summary>
    public long EffectiveWarmupSteps => WarmupSteps ?? (long)Math.Round(Steps * WarmupProportion);

    /// <summary>Throws when a setting is out of range.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    public void Validate()
    {
        if (Steps < 1)
            throw new ArgumentException($"Steps must be at least 1, not {Steps}.", nameof(Steps));
        if (BatchSize < 1)
            throw new ArgumentException($"BatchSize must be at least 1, not {BatchSize}.", nameof(BatchSize));
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"LearningRate must be a positive number, not {LearningRate}."), nameof(LearningRate));
        if (WarmupSteps is < 0)
            throw new ArgumentException($"WarmupSteps must not be negative, not {WarmupSteps}.", nameof(WarmupSteps));
        if (WarmupSteps > Steps)
            throw new ArgumentException($"WarmupSteps ({WarmupSteps}) must not exceed Steps ({Steps}).", nameof(WarmupSteps));
        if (double.IsNaN(WarmupProportion) || WarmupProportion < 0 || WarmupProportion > 1)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"WarmupProportion must be in [0, 1], not {WarmupProportion}."), nameof(WarmupProportion));
        if (!double.IsFinite(WeightDecay) || WeightDecay < 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"WeightDecay must be a finite number, 0 or more, not {WeightDecay}."), nameof(WeightDecay));
        if (MaxGradNorm is { } clip && !(clip > 0))
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"MaxGradNorm must be positive or null, not {clip}."), nameof(MaxGradNorm));
        if (CheckpointEvery < 0)
            throw new ArgumentException($"CheckpointEvery must not be negative, not {CheckpointEvery}.", nameof(CheckpointEvery));
        if (ProgressEvery < 1)
            throw new ArgumentException($"ProgressEvery must be at least 1, not {ProgressEvery}.", nameof(ProgressEvery));
        if (string.IsNullOrWhiteSpace(OutputDirectory))
            throw new ArgumentException("OutputDirectory is required: the folder for checkpoints and the exported model.", nameof(OutputDirectory));
    }

    internal PretrainerOptions Clone() => (PretrainerOptions)MemberwiseClone();
}
