using System.Text.Json;
using Bert.Core.Checkpoints;
using Bert.Core.IO;
using Bert.Core.Optimization;
using Bert.Tokenization;
using static TorchSharp.torch;

namespace Bert.Core.Training;

/// <summary>
/// The one layout of a resumable training checkpoint, shared by the classification trainer and the pretrainer: a folder
/// <c>checkpoint/</c> in the run's directory holding <c>model.safetensors</c> (the current weights),
/// <c>optimizer.state</c> (<see cref="AdamWarmup.SaveState(Stream)"/>), <c>trainer.json</c> (<see cref="TrainerState{TRun}"/>)
/// and any extra tensor files of the trainer (classification: <c>best.safetensors</c>). It is written in one
/// <see cref="SaveTransaction"/>, so an interruption at any moment leaves the previous or the new checkpoint, and read
/// back through its manifest, which verifies every file.
/// </summary>
internal static class TrainerCheckpoint
{
    /// <summary>The <see cref="TrainerState{TRun}.Kind"/> of the classification trainer.</summary>
    public const string Classification = "classification";

    /// <summary>The <see cref="TrainerState{TRun}.Kind"/> of the pretrainer.</summary>
    public const string Pretraining = "pretraining";

    /// <summary>The layout written now. Layout 1 (before one schema for both trainers) had no <c>Layout</c> field.</summary>
    public const int CurrentLayout = 2;

    /// <summary>The checkpoint folder inside the run's directory.</summary>
    public const string Folder = "checkpoint";

    /// <summary>The current weights.</summary>
    public const string ModelFile = "model.safetensors";

    /// <summary>The optimizer state.</summary>
    public const string OptimizerFile = "optimizer.state";

    /// <summary>The trainer state.</summary>
    public const string StateFile = "trainer.json";

    // Regression epochs have no accuracy (NaN): named floating-point literals keep trainer.json writable.
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>True when <paramref name="directory"/> holds a committed checkpoint (read from its manifest; files are verified when loaded).</summary>
    public static bool Exists(string directory)
    {
        string folder = Path.Combine(directory, Folder);
        return Directory.Exists(folder) && SaveManifest.Lists(folder, StateFile);
    }

    /// <summary>Writes the checkpoint of <paramref name="model"/> and <paramref name="optimizer"/> into <c>directory/checkpoint/</c> in one save transaction.</summary>
    /// <param name="directory">The run's directory.</param>
    /// <param name="kind">Which trainer writes it.</param>
    /// <param name="model">The model whose <c>state_dict</c> is saved.</param>
    /// <param name="optimizer">The optimizer whose state (and step count) is saved.</param>
    /// <param name="run">The trainer's own state.</param>
    /// <param name="extraTensors">More tensor files by name (safetensors), or null.</param>
    public static void Save<TRun>(string directory, string kind, nn.Module model, AdamWarmup optimizer, TRun run,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, Tensor>>? extraTensors = null)
        where TRun : class
    {
        using var rng = get_rng_state();
        var state = new TrainerState<TRun>
        {
            Layout = CurrentLayout,
            Kind = kind,
            Step = optimizer.StepCount,
            TorchRandomState = Convert.ToBase64String(rng.data<byte>().ToArray()),
            Run = run,
        };
        using var save = SaveTransaction.Begin(Path.Combine(directory, Folder), SaveKind.TrainingCheckpoint(kind), $"writing a {kind} checkpoint");
        using (no_grad())
        {
            save.Write(ModelFile, s => SafeTensors.Write(s, model.state_dict()));
            foreach (var (name, tensors) in extraTensors ?? new Dictionary<string, IReadOnlyDictionary<string, Tensor>>())
                save.Write(name, s => SafeTensors.Write(s, tensors));
        }
        save.Write(OptimizerFile, optimizer.SaveState);
        save.WriteText(StateFile, JsonSerializer.Serialize(state, Json));
        save.Commit();
    }

    /// <summary>
    /// Resumes from <c>directory/checkpoint/</c>: reads <c>trainer.json</c>, refuses another layout or kind, lets
    /// <paramref name="check"/> refuse the run state, then <paramref name="loadWeights"/> loads the model (and extra
    /// files) by name, the optimizer state is loaded and checked against the step, and libtorch's random state restored.
    /// </summary>
    /// <param name="directory">The run's directory.</param>
    /// <param name="kind">Which trainer reads it.</param>
    /// <param name="optimizer">Receives the saved optimizer state.</param>
    /// <param name="check">Throws when the run state does not fit this run (gets the state and the path of trainer.json).</param>
    /// <param name="loadWeights">Loads the weights; gets the verified path of a file by name (<see cref="ModelFile"/>, extra files).</param>
    /// <returns>The run state; null when the directory holds no committed checkpoint.</returns>
    /// <exception cref="InvalidDataException">The checkpoint is damaged, of an older layout, of another trainer, or does not fit.</exception>
    public static TRun? Load<TRun>(string directory, string kind, AdamWarmup optimizer, Action<TRun, string> check, Action<Func<string, string>> loadWeights)
        where TRun : class
    {
        string folder = Path.Combine(directory, Folder);
        // Every file is read from one verified snapshot of the checkpoint (a save committing meanwhile changes nothing read).
        using var snapshot = Directory.Exists(folder) ? SaveSnapshot.Take(folder) : null;
        var files = snapshot?.Paths;
        if (files is null || !files.TryGetValue(StateFile, out var statePath))
            return null;
        string PathOf(string name) => files.GetValueOrDefault(name)
            ?? throw new InvalidDataException($"The {kind} checkpoint in '{folder}' has no {name}.");

        TrainerState<TRun> state;
        try
        {
            var text = BoundedFile.ReadAllText(statePath, BoundedFile.MaxJsonBytes, "trainer state");
            using (var document = JsonDocument.Parse(text))
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(nameof(TrainerState<TRun>.Layout), out var layout)
                    || layout.ValueKind != JsonValueKind.Number || layout.GetInt32() != CurrentLayout)
                    throw new InvalidDataException(
                        $"'{statePath}' was written by an older checkpoint layout of Bert.NET (it lacks \"Layout\": {CurrentLayout}), which this version " +
                        $"does not resume. Delete '{folder}' (or use another folder) and start the run again.");
            }
            state = JsonSerializer.Deserialize<TrainerState<TRun>>(text, Json) ?? throw new InvalidDataException($"'{statePath}' is empty.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{statePath}' is not a valid trainer state: {ex.Message}", ex);
        }
        if (state.Kind != kind)
            throw new InvalidDataException($"'{statePath}' belongs to a {(state.Kind.Length == 0 ? "unnamed" : state.Kind)} checkpoint, not a {kind} one; use another folder.");
        if (state.Run is null)
            throw new InvalidDataException($"'{statePath}' lacks the {kind} state (\"Run\").");
        if (state.Step < 0)
            throw new InvalidDataException($"'{statePath}' holds the negative step {state.Step}.");
        check(state.Run, statePath);

        loadWeights(PathOf);
        optimizer.LoadState(PathOf(OptimizerFile));
        if (optimizer.StepCount != state.Step)
            throw new InvalidDataException($"'{folder}': the optimizer is at step {optimizer.StepCount} but the trainer state at {state.Step}.");
        if (state.TorchRandomState is { } random)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(random);
            }
            catch (FormatException ex)
            {
                throw new InvalidDataException($"'{statePath}': TorchRandomState is not base64.", ex);
            }
            using var current = get_rng_state();
            if (bytes.Length != current.NumberOfElements)
                throw new InvalidDataException($"'{statePath}': TorchRandomState holds {bytes.Length} bytes; libtorch's generator state has {current.NumberOfElements}.");
            using var rng = tensor(bytes, ScalarType.Byte);
            set_rng_state(rng);
        }
        return state.Run;
    }

    /// <summary>
    /// Removes the checkpoint of <paramref name="directory"/>: the journal and manifest first, so that an interruption
    /// at any later moment leaves no checkpoint (a new run starts fresh) rather than a damaged one that every run
    /// refuses; then the files they list, the temporaries of killed saves and the lock files; then <c>checkpoint/</c>
    /// if that left it empty. Nothing else is touched: a file of the caller's in <c>checkpoint/</c> stays (and so does
    /// the folder), and <paramref name="directory"/> itself is never removed. No-op when there is no <c>checkpoint/</c>.
    /// </summary>
    /// <exception cref="IOException"><c>checkpoint/</c> holds files but no training checkpoint (no manifest or
    /// journal, or one of another kind of save), or another writer holds the folder; nothing is deleted.</exception>
    public static void Delete(string directory)
    {
        string full = Path.GetFullPath(directory);
        string folder = Path.Combine(full, Folder);
        if (!Directory.Exists(folder)) return;
        using (FolderLock.Acquire(full, "deleting a training checkpoint"))
        {
            using (FolderLock.Acquire(folder, "deleting a training checkpoint"))
            {
                var owned = OwnedFiles(folder);
                foreach (var name in new[] { SaveManifest.PendingName, SaveManifest.FileName })
                {
                    string path = Path.Combine(folder, name);
                    if (File.Exists(path)) File.Delete(path);
                }
                foreach (var path in Directory.GetFiles(folder))
                {
                    string name = Path.GetFileName(path);
                    if (owned.Contains(name) || SaveManifest.IsTemporaryName(name)) File.Delete(path);
                }
            }
            foreach (var name in new[] { FolderLock.LockName, FolderLock.OwnerName })
            {
                string path = Path.Combine(folder, name);
                if (File.Exists(path)) File.Delete(path);
            }
            if (!Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
        // The run's lock files, which the trainer created; the run's folder itself stays.
        foreach (var name in new[] { FolderLock.LockName, FolderLock.OwnerName })
        {
            string path = Path.Combine(full, name);
            if (File.Exists(path)) File.Delete(path);
        }
    }

    /// <summary>The names of the files that the checkpoint in <paramref name="folder"/> owns (committed and pending).</summary>
    /// <exception cref="IOException">The folder holds no training checkpoint but other files, or a save of another kind.</exception>
    private static HashSet<string> OwnedFiles(string folder)
    {
        var owned = new HashSet<string>(StringComparer.Ordinal);
        bool any = false;
        foreach (var name in new[] { SaveManifest.PendingName, SaveManifest.FileName })
        {
            string path = Path.Combine(folder, name);
            if (!File.Exists(path)) continue;
            any = true;
            var contents = SaveManifest.ReadContents(path);
            bool isCheckpoint = contents.Kind is null
                ? contents.Files.Any(e => e.Name == StateFile)
                : contents.Kind == SaveKind.TrainingCheckpoint(Classification) || contents.Kind == SaveKind.TrainingCheckpoint(Pretraining);
            if (!isCheckpoint)
                throw new IOException($"'{folder}' holds {SaveKind.Describe(contents.Kind)} ({name} lists {string.Join(", ", contents.Files.Select(e => e.Name))}), " +
                    "not a training checkpoint; nothing was deleted.");
            foreach (var e in contents.Files)
            {
                owned.Add(e.Name);
                if (e.TempName.Length > 0) owned.Add(e.TempName);
            }
        }
        if (!any)
        {
            var others = Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).OfType<string>()
                .Where(n => !SaveManifest.IsTemporaryName(n) && n is not (FolderLock.LockName or FolderLock.OwnerName)).Order(StringComparer.Ordinal).ToList();
            if (others.Count > 0)
                throw new IOException($"'{folder}' holds no Bert.NET training checkpoint (no {SaveManifest.FileName}) but other files ({string.Join(", ", others)}); " +
                    "nothing was deleted.");
        }
        return owned;
    }
}
