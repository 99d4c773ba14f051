using System.Text.Json;
using System.Text.Json.Nodes;
using Bert.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;
using Bert.Core.IO;
using Bert.Tokenization;

namespace Bert.Core.Checkpoints;

/// <summary>
/// Reads BERT weights from a TensorFlow checkpoint (prefix or <c>.index</c>), a <c>.safetensors</c> file, a PyTorch
/// <c>pytorch_model.bin</c> (read by <see cref="PyTorchCheckpointReader"/>) or a Hugging Face folder (<c>config.json</c> +
/// <c>model.safetensors</c>, a sharded <c>model.safetensors.index.json</c>, <c>pytorch_model.bin</c> or a sharded
/// <c>pytorch_model.bin.index.json</c>), under
/// Hugging Face names, and loads them into a model with a report of what was loaded, missing, unexpected and skipped.
/// Saves a <see cref="BertModel"/> as a Hugging Face folder that Python's transformers reads.
/// </summary>
public static class BertCheckpointLoader
{
    private const string BertPrefix = "bert.";

    /// <summary>
    /// Reads every weight of a checkpoint under Hugging Face names (a leading <c>bert.</c> removed; TensorFlow kernels
    /// transposed; <c>cls.*</c> pre-training heads kept). TensorFlow optimizer slots and <c>global_step</c> are left out;
    /// TensorFlow tensors the name map does not know keep their TensorFlow names. The caller disposes the tensors.
    /// </summary>
    /// <param name="path">A TensorFlow prefix or <c>.index</c> file, a <c>.safetensors</c> or <c>.bin</c> file, a shard index (<c>*.index.json</c>), or a folder holding one of them.</param>
    /// <exception cref="FileNotFoundException">Nothing readable is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is malformed (the message names the file and tensor).</exception>
    public static Dictionary<string, Tensor> ReadStateDict(string path)
    {
        using var contents = ReadContents(path);
        var result = new Dictionary<string, Tensor>(contents.Tensors, StringComparer.Ordinal);
        contents.Tensors.Clear(); // ownership passes to the caller
        return result;
    }

    /// <summary>
    /// Loads a checkpoint into <paramref name="model"/> (a <see cref="BertModel"/>, or a module that holds one as
    /// <c>bert</c>, whose weights are then found under <c>bert.*</c>). Every shape is checked before anything is copied;
    /// values are converted to each parameter's dtype and device.
    /// </summary>
    /// <param name="model">The model to fill.</param>
    /// <param name="path">See <see cref="ReadStateDict"/>.</param>
    /// <param name="options">Strictness and adaptations; null for the defaults.</param>
    /// <returns>What was loaded, missing, unexpected and skipped.</returns>
    /// <exception cref="InvalidDataException">
    /// A shape does not match (the message names the file and tensor), or <see cref="CheckpointLoadOptions.Strict"/>
    /// and weights are missing or unexpected (all listed). The model is unchanged when this is thrown.
    /// </exception>
    public static CheckpointLoadReport Load(nn.Module model, string path, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new CheckpointLoadOptions();
        options.Validate();
        TorchRuntime.EnsureAvailable();
        using var contents = ReadContents(path);
        var targets = model.state_dict();

        var loaded = new List<CheckpointTensorRecord>();
        var missing = new List<CheckpointTensorRecord>();
        var unexpected = new List<CheckpointTensorRecord>();
        var skipped = new List<CheckpointTensorRecord>(contents.Skipped);
        var plan = new List<(Tensor Target, Tensor Source, long Rows)>();
        var used = new HashSet<string>(StringComparer.Ordinal);

        foreach (var (sourceName, source) in contents.Tensors)
        {
            string? targetName = targets.ContainsKey(sourceName) ? sourceName
                : targets.ContainsKey(BertPrefix + sourceName) ? BertPrefix + sourceName
                : null;
            if (targetName is null)
            {
                if (options.SkipPretrainingHeads && sourceName.StartsWith("cls.", StringComparison.Ordinal))
                    skipped.Add(new(sourceName, source.shape, "pre-training head, not part of this model"));
                else if (options.IgnoredPrefixes.Any(p => sourceName.StartsWith(p, StringComparison.Ordinal)))
                    skipped.Add(new(sourceName, source.shape, "ignored (CheckpointLoadOptions.IgnoredPrefixes)"));
                else
                    unexpected.Add(new(sourceName, source.shape, Origin(contents, sourceName)));
                continue;
            }
            used.Add(targetName);
            var target = targets[targetName];
            if (!source.is_floating_point() && target.is_floating_point())
                throw new InvalidDataException(
                    $"Checkpoint '{path}': tensor {Origin(contents, sourceName)} has dtype {source.dtype}, but model weight '{targetName}' is {target.dtype}");
            long rows = -1;
            string? note = null;
            if (!source.shape.SequenceEqual(target.shape))
            {
                bool slicable = options.AllowPositionSlicing
                    && targetName.EndsWith("embeddings.position_embeddings.weight", StringComparison.Ordinal)
                    && source.dim() == 2 && target.dim() == 2
                    && source.shape[1] == target.shape[1] && source.shape[0] > target.shape[0];
                if (!slicable)
                    throw new InvalidDataException(
                        $"Checkpoint '{path}': tensor {Origin(contents, sourceName)} has shape {SafeTensors.Describe(source.shape)}, " +
                        $"but model weight '{targetName}' has shape {SafeTensors.Describe(target.shape)} (does the config match the checkpoint?)");
                rows = target.shape[0];
                note = $"first {rows} of {source.shape[0]} positions";
            }
            plan.Add((target, source, rows));
            loaded.Add(new(targetName, source.shape, note));
        }
        foreach (var (name, target) in targets)
        {
            if (!used.Contains(name))
                missing.Add(new(name, target.shape, options.AllowedMissingPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal)) ? "allowed" : null));
        }

        var fatalMissing = missing.Where(m => m.Note is null).ToList();
        if (options.Strict && (fatalMissing.Count > 0 || unexpected.Count > 0))
        {
            var message = $"Checkpoint '{path}' ({contents.Format}) does not fit the model: " +
                $"{fatalMissing.Count} model weights missing, {unexpected.Count} checkpoint tensors unexpected (set CheckpointLoadOptions.Strict = false or AllowedMissingPrefixes to accept).";
            if (fatalMissing.Count > 0) message += "\nMissing: " + FirstFew(fatalMissing);
            if (unexpected.Count > 0) message += "\nUnexpected: " + FirstFew(unexpected);
            throw new InvalidDataException(message);
        }

        using (no_grad())
        {
            foreach (var (target, source, rows) in plan)
            {
                if (rows < 0)
                {
                    target.copy_(source);
                }
                else
                {
                    using var slice = source.narrow(0, 0, rows); // (P_ckpt, H) -> (P_model, H)
                    target.copy_(slice);
                }
            }
        }
        return new CheckpointLoadReport(path, contents.Format, loaded, missing, unexpected, skipped);
    }

    /// <summary>
    /// Saves <paramref name="model"/> as a Hugging Face folder: <c>config.json</c> (with <c>model_type</c> "bert" and
    /// <c>architectures</c> ["BertModel"] unless the config has its own) and <c>model.safetensors</c> (Hugging Face names,
    /// metadata format "pt"), plus the manifest <c>bert_net_manifest.json</c>. Other files in the folder are never
    /// touched; a process killed mid-save leaves the previous or the new save (see the README's "Saving").
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="InvalidOperationException">The model was disposed (it has no tensors); nothing is written.</exception>
    public static void SaveHuggingFace(BertModel model, string directory)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var weights = ModelWeights.ToSave(model, "The BertModel");   // a disposed model writes nothing
        var config = model.Config.Clone();
        if (!config.ExtraFields.ContainsKey("model_type")) config.ExtraFields["model_type"] = "bert";
        if (!config.ExtraFields.ContainsKey("architectures")) config.ExtraFields["architectures"] = new JsonArray("BertModel");
        HuggingFaceFolder.Save(directory, config.ToJson(), weights);
    }

    /// <summary>
    /// Checks <paramref name="config"/> against the shapes a checkpoint stores, reading only headers (the safetensors
    /// header of each shard, the TensorFlow index), so that a config that does not fit its weights (a wrong
    /// <c>hidden_size</c>, a different number of layers) fails in milliseconds instead of after building the model.
    /// Every stored BERT weight must have the shape the config gives it (a longer position table is accepted when
    /// <see cref="CheckpointLoadOptions.AllowPositionSlicing"/>), and with <see cref="CheckpointLoadOptions.Strict"/>
    /// the checkpoint must hold exactly <c>num_hidden_layers</c> encoder layers. Pre-training heads and classifier
    /// heads are not checked here (<see cref="Load"/> checks everything). A PyTorch <c>.bin</c> has no header to read
    /// without unpickling it, so it is checked by <see cref="Load"/> only.
    /// </summary>
    /// <param name="config">The config the model will be built from (validated first).</param>
    /// <param name="path">See <see cref="ReadStateDict"/>.</param>
    /// <param name="options">The options the checkpoint will be loaded with; null for the defaults.</param>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    /// <exception cref="FileNotFoundException">Nothing readable is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">A header is malformed, or the config does not fit the checkpoint (the message names the tensor, both shapes and the config fields).</exception>
    public static void CheckShapes(BertConfig config, string path, CheckpointLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        options ??= new CheckpointLoadOptions();
        options.Validate();
        var location = Locate(path);
        var stored = new List<(string Name, long[] Shape, string Origin)>();
        switch (location.Kind)
        {
            case CheckpointKind.SafeTensors:
                foreach (var file in location.Files)
                    foreach (var entry in SafeTensors.ReadHeader(file))
                        stored.Add((HuggingFaceName(entry.Name), entry.Shape, $"'{entry.Name}' in '{file}'"));
                break;
            case CheckpointKind.TensorFlow:
                using (var reader = TensorFlowCheckpointReader.Open(location.Files[0]))
                {
                    foreach (var info in reader.Tensors)
                    {
                        if (BertCheckpointNameMap.FromTensorFlow(info.Name) is not { } mapping) continue;
                        var (name, transpose) = mapping;
                        stored.Add((name, transpose && info.Shape.Length == 2 ? [info.Shape[1], info.Shape[0]] : info.Shape, $"'{info.Name}' in '{reader.IndexPath}'"));
                    }
                }
                break;
            case CheckpointKind.PyTorch:
                foreach (var file in location.Files)
                    foreach (var (name, shape) in PyTorchCheckpointReader.ReadShapes(file))
                        stored.Add((HuggingFaceName(name), shape, $"'{name}' in '{file}'"));
                break;
        }

        var expected = BertWeightShapes.Of(config).ToDictionary(w => w.Name, w => w.Shape, StringComparer.Ordinal);
        int storedLayers = 0;
        foreach (var (name, shape, origin) in stored)
        {
            if (name.StartsWith("encoder.layer.", StringComparison.Ordinal))
            {
                string rest = name["encoder.layer.".Length..];
                int dot = rest.IndexOf('.');
                if (dot > 0 && int.TryParse(rest.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int layer))
                    storedLayers = Math.Max(storedLayers, layer + 1);
            }
            if (!expected.TryGetValue(name, out var want) || shape.SequenceEqual(want)) continue;
            bool slicable = options.AllowPositionSlicing && name == "embeddings.position_embeddings.weight"
                && shape.Length == 2 && shape[1] == want[1] && shape[0] > want[0];
            if (!slicable)
                throw new InvalidDataException(
                    $"Checkpoint '{path}' does not fit the config: tensor {origin} has shape {SafeTensors.Describe(shape)}, but the config makes " +
                    $"'{name}' {SafeTensors.Describe(want)} ({config}); is it the checkpoint's own config?");
        }
        if (options.Strict && storedLayers > 0 && storedLayers != config.NumHiddenLayers)
            throw new InvalidDataException(
                $"Checkpoint '{path}' holds {storedLayers} encoder layers but the config's num_hidden_layers is {config.NumHiddenLayers}; is it the checkpoint's own config?");
    }

    internal static CheckpointContents ReadContents(string path)
    {
        TorchRuntime.EnsureAvailable();
        var location = Locate(path);
        return location.Kind switch
        {
            CheckpointKind.SafeTensors => ReadSafeTensors(location.Files, location.Format),
            CheckpointKind.PyTorch => ReadPyTorch(location.Files, location.Format),
            _ => ReadTensorFlow(location.Files[0]),
        };
    }

    private enum CheckpointKind { SafeTensors, PyTorch, TensorFlow }

    /// <summary>Which files a checkpoint path means, and their format (the one resolution Read and CheckShapes share).</summary>
    private sealed record CheckpointLocation(CheckpointKind Kind, IReadOnlyList<string> Files, string Format);

    private static CheckpointLocation Locate(string path)
    {
        var location = LocateFiles(path);
        foreach (var file in location.Files)
            GitLfsPointer.ThrowIfPointer(location.Kind == CheckpointKind.TensorFlow && !file.EndsWith(".index", StringComparison.Ordinal) ? file + ".index" : file);
        return location;
    }

    private static CheckpointLocation LocateFiles(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
            return LocateInFolder(path);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            return new(CheckpointKind.SafeTensors, [path], "safetensors");
        if (path.EndsWith(".safetensors.index.json", StringComparison.OrdinalIgnoreCase))
            return new(CheckpointKind.SafeTensors, ShardsOf(path), "safetensors (sharded)");
        if (path.EndsWith(".bin.index.json", StringComparison.OrdinalIgnoreCase))
            return new(CheckpointKind.PyTorch, ShardsOf(path), "PyTorch state dict (sharded)");
        if (path.EndsWith(".bin", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pt", StringComparison.OrdinalIgnoreCase)
            || path.EndsWith(".pth", StringComparison.OrdinalIgnoreCase))
            return new(CheckpointKind.PyTorch, [path], "PyTorch state dict");
        if (File.Exists(path + ".index") || path.EndsWith(".index", StringComparison.Ordinal) || path.Contains(".data-", StringComparison.Ordinal))
            return new(CheckpointKind.TensorFlow, [path], "TensorFlow");
        throw new FileNotFoundException(
            $"No checkpoint at '{path}': expected a TensorFlow prefix (with '{path}.index'), a .safetensors or .bin file, a shard index (.index.json), or a folder with config.json and model.safetensors or pytorch_model.bin",
            path);
    }

    private static CheckpointLocation LocateInFolder(string folder)
    {
        // Each file by name through SaveSnapshot.FileIn: under a loader's snapshot of the folder, the save it verified.
        if (SaveSnapshot.FileIn(folder, "model.safetensors") is { } single)
            return new(CheckpointKind.SafeTensors, [single], "Hugging Face folder");
        if (SaveSnapshot.FileIn(folder, "model.safetensors.index.json") is { } index)
            return new(CheckpointKind.SafeTensors, ShardsOf(index), "Hugging Face folder (sharded)");
        // A TensorFlow training folder: the checkpoint its 'checkpoint' state file names (the latest), or its only one.
        var tfIndexes = SaveManifest.Scan(folder, "*.index");
        bool stateFile = SaveSnapshot.FileIn(folder, "checkpoint") is not null;
        if (tfIndexes.Length == 1 && !stateFile)
            return new(CheckpointKind.TensorFlow, [tfIndexes[0]], "TensorFlow");
        if (tfIndexes.Length > 0 || stateFile)
            return new(CheckpointKind.TensorFlow, [TensorBundleFiles.PrefixInFolder(folder)], "TensorFlow");
        if (SaveSnapshot.FileIn(folder, "pytorch_model.bin") is { } bin)
            return new(CheckpointKind.PyTorch, [bin], "Hugging Face folder (pytorch_model.bin)");
        if (SaveSnapshot.FileIn(folder, "pytorch_model.bin.index.json") is { } binIndex)
            return new(CheckpointKind.PyTorch, ShardsOf(binIndex), "Hugging Face folder (pytorch_model.bin, sharded)");
        throw new FileNotFoundException(
            $"'{folder}' holds no model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json or TensorFlow checkpoint (.index)", folder);
    }

    private static List<string> ShardsOf(string indexPath)
    {
        if (!SaveSnapshot.FileExists(indexPath))
            throw new FileNotFoundException($"Shard index '{indexPath}' not found", indexPath);
        try
        {
            var map = JsonNode.Parse(BoundedFile.ReadAllText(indexPath, BoundedFile.MaxJsonBytes, "safetensors shard index"))?["weight_map"] as JsonObject
                ?? throw new InvalidDataException($"'{indexPath}' has no 'weight_map' object");
            string folder = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
            var files = map.Select(kv => kv.Value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                    : throw new InvalidDataException($"'{indexPath}': weight_map entry '{kv.Key}' is not a file name"))
                .Distinct(StringComparer.Ordinal)
                .ToList();
            if (files.Count == 0)
                throw new InvalidDataException($"'{indexPath}': weight_map is empty");
            foreach (var file in files)
            {
                // A shard is a file name beside the index, never a path elsewhere.
                if (file.Length == 0 || file != Path.GetFileName(file) || file is "." or "..")
                    throw new InvalidDataException($"'{indexPath}': weight_map names '{file}', which is not a file name in the index's folder");
            }
            return files.Select(file => Path.Combine(folder, file)).ToList();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{indexPath}' is not a valid shard index: {ex.Message}", ex);
        }
    }

    private static CheckpointContents ReadSafeTensors(IReadOnlyList<string> files, string format) =>
        ReadHuggingFaceFiles(files, format, (file, _) => SafeTensors.Read(file));

    /// <summary>
    /// Reads <c>torch.save</c>d state dicts (zip pickle) with <see cref="PyTorchCheckpointReader"/>, which rebuilds only
    /// tensors and (ordered) dictionaries, any stride layout included; entries that are not tensors are reported skipped.
    /// </summary>
    private static CheckpointContents ReadPyTorch(IReadOnlyList<string> files, string format) =>
        ReadHuggingFaceFiles(files, format, PyTorchCheckpointReader.Read);

    /// <summary>Reads the tensors of each file (one, or the shards of an index) under Hugging Face names.</summary>
    /// <param name="files">The files, in order.</param>
    /// <param name="format">The format named in the report.</param>
    /// <param name="read">Reads one file's tensors, adding what it leaves out to the skipped list.</param>
    private static CheckpointContents ReadHuggingFaceFiles(IReadOnlyList<string> files, string format,
        Func<string, ICollection<CheckpointTensorRecord>, Dictionary<string, Tensor>> read)
    {
        var contents = new CheckpointContents(format);
        try
        {
            foreach (var file in files)
            {
                var tensors = read(file, contents.Skipped);
                try
                {
                    foreach (var (name, tensor) in tensors.ToList())
                    {
                        tensors.Remove(name);
                        AddHuggingFaceTensor(contents, name, tensor, file);
                    }
                }
                finally
                {
                    foreach (var left in tensors.Values) left.Dispose(); // after a failure only
                }
            }
            return contents;
        }
        catch
        {
            contents.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Adds a tensor stored under a Hugging Face (PyTorch) name: the name normalised by <see cref="HuggingFaceName"/>,
    /// the <c>position_ids</c>/<c>token_type_ids</c> buffers of older checkpoints skipped (they are recomputed).
    /// </summary>
    private static void AddHuggingFaceTensor(CheckpointContents contents, string storedName, Tensor tensor, string file)
    {
        string name = HuggingFaceName(storedName);
        if (name.EndsWith("position_ids", StringComparison.Ordinal) || name.EndsWith("token_type_ids", StringComparison.Ordinal))
        {
            contents.Skipped.Add(new(storedName, tensor.shape, "buffer, recomputed"));
            tensor.Dispose();
            return;
        }
        contents.Add(name, tensor, $"'{storedName}' in '{file}'");
    }

    /// <summary>Removes the <c>bert.</c> prefix and renames old-style LayerNorm <c>gamma</c>/<c>beta</c>.</summary>
    private static string HuggingFaceName(string name)
    {
        if (name.StartsWith(BertPrefix, StringComparison.Ordinal)) name = name[BertPrefix.Length..];
        if (name.Contains("LayerNorm", StringComparison.Ordinal))
        {
            if (name.EndsWith(".gamma", StringComparison.Ordinal)) name = name[..^".gamma".Length] + ".weight";
            else if (name.EndsWith(".beta", StringComparison.Ordinal)) name = name[..^".beta".Length] + ".bias";
        }
        return name;
    }

    private static CheckpointContents ReadTensorFlow(string prefixOrIndex)
    {
        using var reader = TensorFlowCheckpointReader.Open(prefixOrIndex);
        var contents = new CheckpointContents("TensorFlow");
        try
        {
            foreach (var info in reader.Tensors)
            {
                var mapping = BertCheckpointNameMap.FromTensorFlow(info.Name);
                if (mapping is null)
                {
                    if (TrainingStateReason(info.Name) is { } reason)
                    {
                        contents.Skipped.Add(new(info.Name, info.Shape, reason));
                        continue;
                    }
                    if (info.DType.ToScalarType() is null)
                    {
                        contents.Skipped.Add(new(info.Name, info.Shape, $"dtype {TensorFlowCheckpointReader.DescribeDType(info.DType)}, not a weight"));
                        continue;
                    }
                    contents.Add(info.Name, reader.ReadTensor(info.Name), $"'{info.Name}' in '{reader.IndexPath}'");
                    continue;
                }
                var (name, transpose) = mapping.Value;
                if (info.DType.ToScalarType() is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float64))
                    throw new InvalidDataException(
                        $"TensorFlow checkpoint '{reader.IndexPath}': BERT weight '{info.Name}' has dtype {TensorFlowCheckpointReader.DescribeDType(info.DType)}; expected a floating-point tensor");
                var tensor = reader.ReadTensor(info.Name);
                if (transpose)
                {
                    if (tensor.dim() != 2)
                    {
                        var shape = tensor.shape;
                        tensor.Dispose();
                        throw new InvalidDataException(
                            $"TensorFlow checkpoint '{reader.IndexPath}': kernel '{info.Name}' has shape {SafeTensors.Describe(shape)}, expected 2 dimensions");
                    }
                    using var original = tensor;
                    tensor = original.t().contiguous(); // (in, out) -> (out, in), TorchSharp's Linear layout
                }
                contents.Add(name, tensor, $"'{info.Name}' in '{reader.IndexPath}'");
            }
            return contents;
        }
        catch
        {
            contents.Dispose();
            throw;
        }
    }

    /// <summary>Why a TensorFlow variable is training state rather than a weight, or null when it is not.</summary>
    private static string? TrainingStateReason(string name)
    {
        string last = name[(name.LastIndexOf('/') + 1)..];
        return last switch
        {
            "adam_m" or "adam_v" or "Adam" or "Adam_1" or "Momentum" => "optimizer slot",
            "global_step" or "beta1_power" or "beta2_power" => "training counter",
            _ => null,
        };
    }

    /// <summary>The first 20 records, then how many more: a message stays readable whatever the checkpoint holds.</summary>
    private static string FirstFew(List<CheckpointTensorRecord> records) =>
        string.Join(", ", records.Take(20)) + (records.Count > 20 ? $", ... and {records.Count - 20} more" : "");

    private static string Origin(CheckpointContents contents, string name) =>
        contents.Origins.TryGetValue(name, out var origin) ? origin : $"'{name}'";
}
