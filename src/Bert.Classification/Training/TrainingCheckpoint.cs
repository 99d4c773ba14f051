using System.Text.Json;
using Bert.Core.Checkpoints;
using Bert.Core.Optimization;
using static TorchSharp.torch;
using Bert.Core.IO;

namespace Bert.Classification.Training;

/// <summary>
/// The training checkpoint of <see cref="ClassificationTrainer"/>: a folder <c>checkpoint/</c> inside the checkpoint
/// directory holding the current weights, the best weights so far, the optimizer state and <c>trainer.json</c>
/// (epoch, history, best epoch, run fingerprint), written in one save transaction, so an interruption at any moment
/// leaves the previous or the new checkpoint, verified by its manifest when read.
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

    public static bool Exists(string directory)
    {
        string folder = Path.Combine(directory, Folder);
        // The manifest alone: Load verifies (hashes) the files once, when it reads them.
        return Directory.Exists(folder) && SaveManifest.Lists(folder, StateFile);
    }

    /// <summary>
    /// Removes the checkpoint of <paramref name="directory"/>: its manifest first, so that an interruption at any later
    /// moment leaves no checkpoint (a new run starts fresh) rather than a damaged one that every run refuses.
    /// </summary>
    public static void Delete(string directory)
    {
        string folder = Path.Combine(directory, Folder);
        if (!Directory.Exists(folder)) return;
        using (FolderLock.Acquire(directory, "deleting a training checkpoint"))
        {
            foreach (var name in new[] { SaveManifest.PendingName, SaveManifest.FileName })
            {
                string path = Path.Combine(folder, name);
                if (File.Exists(path)) File.Delete(path);
            }
            Directory.Delete(folder, recursive: true);
        }
        foreach (var file in new[] { FolderLock.LockName, FolderLock.OwnerName })
        {
            string path = Path.Combine(directory, file);
            if (File.Exists(path)) File.Delete(path);
        }
        if (!Directory.EnumerateFileSystemEntries(directory).Any()) Directory.Delete(directory);
    }

    public static void Save(string directory, nn.Module model, AdamWarmup optimizer, IReadOnlyDictionary<string, Tensor> best, State state)
    {
        using var save = SaveTransaction.Begin(Path.Combine(directory, Folder), "writing a training checkpoint");
        save.Write(ModelFile, s => SafeTensors.Write(s, model.state_dict()));
        save.Write(BestFile, s => SafeTensors.Write(s, best));
        save.Write(OptimizerFile, optimizer.SaveState);
        save.WriteText(StateFile, JsonSerializer.Serialize(state, Json));
        save.Commit();
    }

    public static State Load(string directory, nn.Module model, AdamWarmup optimizer, Dictionary<string, Tensor> best, State expected)
    {
        string folder = Path.Combine(directory, Folder);
        var files = (Directory.Exists(folder) ? SaveManifest.Resolve(folder) : null)
            ?? throw new FileNotFoundException($"No training checkpoint in {directory}.");
        string PathOf(string name) => files.GetValueOrDefault(name)
            ?? throw new InvalidDataException($"The training checkpoint in {folder} has no {name}.");
        string statePath = PathOf(StateFile);
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
                $"The checkpoint in {folder} belongs to a different run (other training or validation data, options or labels; " +
                "its fingerprint is a hash of all of them). Delete it or choose another checkpoint directory.");

        BertCheckpointLoader.Load(model, PathOf(ModelFile), new CheckpointLoadOptions { AllowPositionSlicing = false });
        foreach (var (name, value) in SafeTensors.Read(PathOf(BestFile)))
            best[name] = value.DetachFromDisposeScope();
        optimizer.LoadState(PathOf(OptimizerFile));
        return state;
    }
}
