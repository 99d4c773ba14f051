using Bert.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;
using Bert.Core.IO;
using Bert.Tokenization;

namespace Bert.Core.Pretraining;

/// <summary>
/// Loads and saves a <see cref="BertForPreTraining"/> (encoder and heads) as a Google TensorFlow checkpoint
/// (<c>bert/*</c>, <c>cls/predictions/*</c>, <c>cls/seq_relationship/*</c>) or a Hugging Face folder
/// (<c>config.json</c> + <c>model.safetensors</c> with <c>bert.*</c>/<c>cls.*</c> keys).
/// </summary>
/// <remarks>
/// Loading matches names exactly and checks every shape; optimizer slots (<c>adam_m</c>, <c>adam_v</c>), <c>global_step</c>
/// and Hugging Face's tied aliases (<c>cls.predictions.decoder.weight</c>, which is the word embedding table, and
/// <c>cls.predictions.decoder.bias</c>, which is <c>cls.predictions.bias</c>) are reported as skipped. Hugging Face keys
/// without the <c>bert.</c> prefix (a bare <c>BertModel</c> file) are accepted for the encoder.
/// </remarks>
public static partial class BertPreTrainingCheckpoint
{
    private const string DecoderWeight = "cls.predictions.decoder.weight";
    private const string DecoderBias = "cls.predictions.decoder.bias";
    private const string OutputBias = "cls.predictions.bias";

    /// <summary>Loads a TensorFlow checkpoint (a prefix such as <c>bert_model.ckpt</c>, or its <c>.index</c> file) into <paramref name="model"/>.</summary>
    /// <param name="model">The model to fill.</param>
    /// <param name="prefix">The checkpoint prefix or index path.</param>
    /// <param name="strict">Throw when a model weight is missing or a checkpoint weight is unexpected.</param>
    /// <exception cref="FileNotFoundException">The checkpoint does not exist.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is malformed, a shape differs, or (strict) names do not match.</exception>
    public static BertPreTrainingLoadReport LoadTensorFlow(BertForPreTraining model, string prefix, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var reader = TensorFlowCheckpointReader.Open(prefix);
        var values = new List<(string Key, string SourceName, Func<Tensor> Read)>();
        var skipped = new List<string>();
        var unexpected = new List<string>();
        foreach (var info in reader.Tensors)
        {
            var name = info.Name;
            if (BertCheckpointNameMap.FromTensorFlow(name) is not { } map)
            {
                if (IsTrainingBookkeeping(name)) skipped.Add(name);
                else unexpected.Add(name);
                continue;
            }
            var key = map.Name.StartsWith("cls.", StringComparison.Ordinal) || map.Name.StartsWith("classifier.", StringComparison.Ordinal)
                ? map.Name : "bert." + map.Name;
            var transpose = map.Transpose;
            values.Add((key, name, () =>
            {
                var t = reader.ReadTensor(name);
                if (!transpose) return t;
                using (t) return t.t().contiguous();
            }));
        }
        return Apply(model, values, skipped, unexpected, reader.IndexPath, strict);
    }

    /// <summary>
    /// Loads named tensors with Hugging Face keys (<c>bert.*</c> or bare <c>BertModel</c> keys, <c>cls.*</c>) into
    /// <paramref name="model"/>; the tensors are copied, not kept.
    /// </summary>
    /// <param name="model">The model to fill.</param>
    /// <param name="tensors">The tensors by name.</param>
    /// <param name="source">The file the tensors come from, for messages.</param>
    /// <param name="strict">Throw when a model weight is missing or a tensor is unexpected.</param>
    /// <exception cref="InvalidDataException">A shape differs, or (strict) names do not match.</exception>
    public static BertPreTrainingLoadReport LoadStateDict(BertForPreTraining model, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        string source, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensors);
        var modelKeys = model.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
        var all = tensors.ToList();
        var names = all.Select(kv => kv.Key).ToHashSet(StringComparer.Ordinal);
        var values = new List<(string Key, string SourceName, Func<Tensor> Read)>();
        var skipped = new List<string>();
        var unexpected = new List<string>();
        foreach (var (name, tensor) in all)
        {
            string? key = null;
            if (name == DecoderWeight || name.EndsWith(".position_ids", StringComparison.Ordinal))
                skipped.Add(name); // the tied word embedding table; a buffer Hugging Face used to save
            else if (name == DecoderBias)
            {
                if (names.Contains(OutputBias)) skipped.Add(name);
                else key = OutputBias;
            }
            else if (modelKeys.Contains(name))
                key = name;
            else if (modelKeys.Contains("bert." + name))
                key = "bert." + name;
            else
                unexpected.Add(name);
            if (key is not null)
                values.Add((key, name, () => tensor.alias()));
        }
        return Apply(model, values, skipped, unexpected, source, strict);
    }

    /// <summary>
    /// Loads a checkpoint into <paramref name="model"/>: a TensorFlow prefix or <c>.index</c> file (see
    /// <see cref="LoadTensorFlow"/>), a <c>.safetensors</c> file, or a folder (Hugging Face <c>model.safetensors</c>, or one
    /// TensorFlow checkpoint).
    /// </summary>
    /// <param name="model">The model to fill.</param>
    /// <param name="path">The checkpoint.</param>
    /// <param name="strict">Throw when a model weight is missing or a checkpoint weight is unexpected.</param>
    /// <exception cref="FileNotFoundException">Nothing readable is at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is malformed, a shape differs, or (strict) names do not match.</exception>
    public static BertPreTrainingLoadReport Load(BertForPreTraining model, string path, bool strict = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (File.Exists(path + ".index") || (path.EndsWith(".index", StringComparison.Ordinal) && File.Exists(path)))
            return LoadTensorFlow(model, path, strict);
        if (Directory.Exists(path) && !File.Exists(Path.Combine(path, "model.safetensors")) && SaveManifest.Scan(path, "*.index") is [var index])
            return LoadTensorFlow(model, index, strict);
        var tensors = BertCheckpointLoader.ReadStateDict(path);
        try
        {
            return LoadStateDict(model, tensors, path, strict);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Builds a <see cref="BertForPreTraining"/> from a saved one and returns it in eval mode: a Hugging Face folder
    /// (<c>config.json</c> + <c>model.safetensors</c>) or a TensorFlow prefix with <c>bert_config.json</c> beside it (as
    /// <see cref="SaveTensorFlow"/> and Google's releases lay them out).
    /// </summary>
    /// <param name="path">The folder or the TensorFlow prefix.</param>
    /// <param name="strict">Throw when a weight is missing or unexpected (default true).</param>
    /// <exception cref="FileNotFoundException">No config was found beside the weights.</exception>
    /// <exception cref="InvalidDataException">The checkpoint does not fit its config.</exception>
    public static BertForPreTraining LoadModel(string path, bool strict = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var configPath = new[] { "config.json", "bert_config.json" }.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"No config.json or bert_config.json beside '{path}'.", Path.Combine(folder, "config.json"));
        var model = new BertForPreTraining(BertConfig.FromJsonFile(configPath));
        try
        {
            Load(model, path, strict);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>
    /// Saves the model as a Hugging Face folder: <c>model.safetensors</c> with the keys of
    /// <see cref="BertForPreTraining"/> (<c>bert.*</c>, <c>cls.*</c>; the tied decoder aliases are not written, as
    /// transformers does not write them either) and <c>config.json</c> (<c>architectures</c> ["BertForPreTraining"]),
    /// and, when <paramref name="tokenizer"/> is given, its Hugging Face tokenizer files (<c>spiece.model</c> or
    /// <c>vocab.txt</c>, <c>tokenizer_config.json</c>, <c>special_tokens_map.json</c>), so that the folder is a complete
    /// Hugging Face model that <c>TextEmbedder.Load</c>, <c>BertIndexer.Load</c> and fine-tuning read with its own
    /// tokenizer; in one save transaction (other files in the folder are never touched).
    /// </summary>
    /// <param name="model">The model to save.</param>
    /// <param name="directory">The folder (created when missing).</param>
    /// <param name="tokenizer">The tokenizer the model was trained with; null to write the model only.</param>
    /// <exception cref="InvalidDataException">The tokenizer's vocabulary or special ids do not fit the model's config.</exception>
    public static void SaveHuggingFace(BertForPreTraining model, string directory, IBertIndexer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (tokenizer is not null)
            model.Config.ValidateIndexer(tokenizer);
        var weights = ModelWeights.ToSave(model, "The BertForPreTraining model");   // a disposed model writes nothing
        var config = model.Config.Clone();
        config.ExtraFields["model_type"] = "bert";
        config.ExtraFields["architectures"] = new System.Text.Json.Nodes.JsonArray("BertForPreTraining");
        using var save = SaveTransaction.Begin(directory, SaveKind.HuggingFaceModel, "saving a Hugging Face model folder");
        HuggingFaceFolder.WriteModel(save, config.ToJson(), weights);
        if (tokenizer is not null)
            HuggingFaceTokenizerFolder.Write(tokenizer, save.Write);
        save.Commit();
    }

    /// <summary>
    /// Writes the model as a Google-style TensorFlow checkpoint <c>directory/model.ckpt-{step}</c> (<c>.index</c> +
    /// <c>.data-00000-of-00001</c>, with <c>global_step</c>) and <c>directory/bert_config.json</c> in one save transaction
    /// (a checkpoint that an earlier save into this folder wrote is replaced; other files stay); returns the prefix.
    /// </summary>
    public static string SaveTensorFlow(BertForPreTraining model, string directory, long step, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        string name = $"model.ckpt-{step}";
        using var save = SaveTransaction.Begin(directory, SaveKind.TensorFlowCheckpoint, "writing a TensorFlow checkpoint");
        string tempPrefix = save.TempPathOf(name);
        using (no_grad())
        {
            var stateDict = model.state_dict();
            var skipped = TensorFlowCheckpointWriter.WriteBertStateDict(tempPrefix, stateDict, step, cancellationToken: cancellationToken);
            if (skipped.Count > 0)
                throw new InvalidOperationException($"These weights have no TensorFlow name and were not written: {string.Join(", ", skipped)}.");
        }
        foreach (var suffix in new[] { ".index", ".data-00000-of-00001" })
        {
            if (!File.Exists(tempPrefix + suffix))
                throw new InvalidOperationException($"The TensorFlow writer did not write '{tempPrefix + suffix}'.");
            save.Adopt(name + suffix);
        }
        save.WriteText("bert_config.json", model.Config.ToJson());
        save.Commit();
        return Path.Combine(save.Directory, name);
    }

    private static bool IsTrainingBookkeeping(string name) =>
        name == "global_step" || name.EndsWith("/adam_m", StringComparison.Ordinal) || name.EndsWith("/adam_v", StringComparison.Ordinal)
        || name.EndsWith("/Adam", StringComparison.Ordinal) || name.EndsWith("/Adam_1", StringComparison.Ordinal)
        || name.StartsWith("beta1_power", StringComparison.Ordinal) || name.StartsWith("beta2_power", StringComparison.Ordinal);

    private static BertPreTrainingLoadReport Apply(BertForPreTraining model, List<(string Key, string SourceName, Func<Tensor> Read)> values,
        List<string> skipped, List<string> unexpected, string source, bool strict)
    {
        var state = model.state_dict();
        var loaded = new List<string>();
        foreach (var (key, sourceName, _) in values)
        {
            if (!state.ContainsKey(key))
                unexpected.Add(sourceName);
        }
        var missing = state.Keys.Where(k => !values.Any(v => v.Key == k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0))
            throw new InvalidDataException($"'{source}' does not match the model: " +
                (missing.Count > 0 ? $"missing {string.Join(", ", missing)}" : "") +
                (missing.Count > 0 && unexpected.Count > 0 ? "; " : "") +
                (unexpected.Count > 0 ? $"unexpected {string.Join(", ", unexpected)}" : "") + ".");
        using (no_grad())
        {
            foreach (var (key, sourceName, read) in values)
            {
                if (!state.TryGetValue(key, out var target))
                    continue;
                using var value = read();
                if (!value.shape.SequenceEqual(target.shape))
                    throw new InvalidDataException($"'{source}': tensor '{sourceName}' has shape [{string.Join(", ", value.shape)}], " +
                        $"but the model's '{key}' is [{string.Join(", ", target.shape)}] (check the config).");
                if (!value.is_floating_point())
                    throw new InvalidDataException($"'{source}': tensor '{sourceName}' is {value.dtype}, not a floating-point weight.");
                target.copy_(value);
                loaded.Add(key);
            }
        }
        return new BertPreTrainingLoadReport(source, loaded, missing, unexpected, skipped);
    }
}
