namespace Bert.Core.Pretraining;

/// <summary>What a finished <see cref="Pretrainer.Run"/> returns.</summary>
public sealed class PretrainingResult
{
    internal PretrainingResult(long steps, long resumedFromStep, IReadOnlyList<PretrainingProgress> history,
        string checkpointDirectory, string? huggingFaceDirectory, string? tensorFlowPrefix)
    {
        Steps = steps;
        ResumedFromStep = resumedFromStep;
        History = history;
        CheckpointDirectory = checkpointDirectory;
        HuggingFaceDirectory = huggingFaceDirectory;
        TensorFlowPrefix = tensorFlowPrefix;
    }

    /// <summary>The optimizer steps done in total.</summary>
    public long Steps { get; }

    /// <summary>The step the run resumed from (0 for a fresh run).</summary>
    public long ResumedFromStep { get; }

    /// <summary>Every progress report of this run, in order.</summary>
    public IReadOnlyList<PretrainingProgress> History { get; }

    /// <summary>The folder of the last resumable checkpoint.</summary>
    public string CheckpointDirectory { get; }

    /// <summary>The Hugging Face folder written at the end (config.json + model.safetensors), or null when not exported.</summary>
    public string? HuggingFaceDirectory { get; }

    /// <summary>The TensorFlow checkpoint prefix written at the end (<c>.../tf/model.ckpt-N</c>), or null when not exported.</summary>
    public string? TensorFlowPrefix { get; }
}
