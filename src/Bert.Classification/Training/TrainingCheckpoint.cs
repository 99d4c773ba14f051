using System.Text.Json;
using Bert.Core.Checkpoints;
using Bert.Core.Optimization;
using static TorchSharp.torch;
using Bert.Core.IO;

namespace Bert.Classification.Training;

/// <summary>
/// The training checkpoint of <see cref="ClassificationTrainer"/>: a folder <c>checkpoint/</c> inside the checkpoint
/// directory holding the current weights, the best weights so far, the optimizer state and <c>trainer.json</c>
/// (epoch, history, best epoch, run fingerprint). It is written into a temporary folder that then replaces the
/// previous one, so an interruption at any moment leaves a complete checkpoint behind.
/// </summary>
internal static class TrainingCheckpoint
{
    private const string Folder = "checkpoint";
    private const string ModelFile = "model.safetensors";
    private const string BestFile = "best.safetensors";
    private const string OptimizerFile = "optimizer.state";
    private const string StateFile = "trainer.json";

    // Regression epochs have no accuracy (NaN): named floating-point literals keep trainer.json writable.
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>What trainer.json holds.</summary>
    internal sealed class State
    {
        public int Epoch { get; set; }
        public long Step { get; set; }
        public int BestEpoch { get; set; }
        public double BestScore { get; set; }
        public int EpochsWithoutImprovement { get; set; }
        public int MaxSequenceLength { get; set; }
        public string[] Labels { get; set; } = Array.Empty<string>();
        public string Fingerprint { get; set; } = "";
        public List<EpochResult> History { get; set; } = new();
    }

    public static bool Exists(string directory) =>
        AtomicDirectory.Resolve(Path.Combine(directory, Folder)) is { } folder && File.Exists(Path.Combine(folder, StateFile));

    public static void Save(string directory, nn.Module model, AdamWarmup optimizer, IReadOnlyDictionary<string, Tensor> best, State state)
    {
        Directory.CreateDirectory(directory);
        AtomicDirectory.Replace(Path.Combine(directory, Folder), temp =>
        {
            SafeTensors.Write(Path.Combine(temp, ModelFile), model.state_dict());
            SafeTensors.Write(Path.Combine(temp, BestFile), best.ToDictionary(kv => kv.Key, kv => kv.Value));
            optimizer.SaveState(Path.Combine(temp, OptimizerFile));
            File.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, Json));
        });
    }

    public static State Load(string directory, nn.Module model, AdamWarmup optimizer, Dictionary<string, Tensor> best, State expected)
    {
        string folder = AtomicDirectory.Resolve(Path.Combine(directory, Folder))
            ?? throw new FileNotFoundException($"No training checkpoint in {directory}.");
        string statePath = Path.Combine(folder, StateFile);
        State state;
        try
        {
            state = JsonSerializer.Deserialize<State>(File.ReadAllText(statePath), Json)
                ?? throw new InvalidDataException($"{statePath} is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{statePath} is not a valid training state: {ex.Message}", ex);
        }
        if (state.Fingerprint != expected.Fingerprint)
            throw new InvalidOperationException(
                $"The checkpoint in {folder} belongs to a different run (other data size, options or labels). " +
                "Delete it or choose another checkpoint directory.");

        BertCheckpointLoader.Load(model, Path.Combine(folder, ModelFile), new CheckpointLoadOptions { AllowPositionSlicing = false });
        foreach (var (name, value) in SafeTensors.Read(Path.Combine(folder, BestFile)))
            best[name] = value.DetachFromDisposeScope();
        optimizer.LoadState(Path.Combine(folder, OptimizerFile));
        return state;
    }
}
