namespace Bert.Core.Training;

/// <summary>
/// The one schema of <c>trainer.json</c> in a training checkpoint (<see cref="TrainerCheckpoint"/>): the layout version,
/// which trainer wrote it (<see cref="Kind"/>), the optimizer step, libtorch's random state, and the trainer's own
/// run state (<see cref="Run"/>: epochs and best epoch for classification; batch size and batch generator for pretraining).
/// </summary>
/// <typeparam name="TRun">The trainer's run state.</typeparam>
internal sealed class TrainerState<TRun>
    where TRun : class
{
    /// <summary>The checkpoint layout this schema describes; files without it (or with another value) are refused.</summary>
    public int Layout { get; set; }

    /// <summary>The trainer that wrote the checkpoint: <see cref="TrainerCheckpoint.Classification"/> or <see cref="TrainerCheckpoint.Pretraining"/>.</summary>
    public string Kind { get; set; } = "";

    /// <summary>The optimizer steps taken (equal to the saved optimizer state's step count).</summary>
    public long Step { get; set; }

    /// <summary>libtorch's CPU generator state (base64), restored on resume (dropout masks continue).</summary>
    public string? TorchRandomState { get; set; }

    /// <summary>The trainer's own state.</summary>
    public TRun? Run { get; set; }
}
