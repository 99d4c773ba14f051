using Bert.Core.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using TorchSharp.Utils;

namespace Bert.Core.Modeling;

/// <summary>
/// Builds a ready <see cref="BertModel"/>: from a config, optionally limited to a maximum sequence length, filled from
/// a checkpoint, with chosen trainable parts, on a device and in a dtype. <see cref="Build"/> returns the model in eval
/// mode (call <c>train()</c> to fine-tune).
/// </summary>
/// <example>
/// <code>
/// var model = BertModelBuilder.FromConfigFile("bert_config.json")
///     .WithMaxSequenceLength(103)
///     .WithCheckpoint("model.ckpt-1400000")
///     .Build();
/// </code>
/// </example>
public sealed class BertModelBuilder
{
    private readonly BertConfig config;
    private int? maxSequenceLength;
    private string? checkpointPath;
    private CheckpointLoadOptions? checkpointOptions;
    private bool trainable = true;
    private string[]? trainablePrefixes;
    private Device? device;
    private ScalarType? dtype;
    private long? seed;
    private LinearKernel linearKernel = LinearKernel.Auto;
    private ScalarType? computeType;

    /// <summary>Starts from <paramref name="config"/> (validated and copied).</summary>
    /// <exception cref="ArgumentException">The config is invalid.</exception>
    public BertModelBuilder(BertConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        this.config = config.Clone();
    }

    /// <summary>Starts from a <c>bert_config.json</c> / <c>config.json</c> file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid config.</exception>
    public static BertModelBuilder FromConfigFile(string path) => new(BertConfig.FromJsonFile(path));

    /// <summary>
    /// Starts from a checkpoint and the config beside it: a Hugging Face folder (<c>config.json</c>), a Google folder or
    /// TensorFlow prefix (<c>bert_config.json</c> in the same folder), or a <c>.safetensors</c>/<c>.bin</c> file with
    /// <c>config.json</c> beside it. The checkpoint is loaded by <see cref="Build"/> with default options.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither <c>config.json</c> nor <c>bert_config.json</c> is there.</exception>
    public static BertModelBuilder FromPretrained(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        string? config = new[] { "config.json", "bert_config.json" }.Select(name => Bert.Tokenization.SaveSnapshot.FileIn(folder, name)).FirstOrDefault(path => path is not null);
        if (config is null)
            throw new FileNotFoundException(
                $"No config.json or bert_config.json in '{folder}' for checkpoint '{path}'; use FromConfigFile(...).WithCheckpoint(...)",
                Path.Combine(folder, "config.json"));
        return FromConfigFile(config).WithCheckpoint(path);
    }

    /// <summary>The config the model will have (with the maximum sequence length applied).</summary>
    public BertConfig Config
    {
        get
        {
            var effective = config.Clone();
            if (maxSequenceLength is { } length) effective.MaxPositionEmbeddings = length;
            return effective;
        }
    }

    /// <summary>The report of the checkpoint load of the last <see cref="Build"/>, or null when no checkpoint was loaded.</summary>
    public CheckpointLoadReport? LastLoadReport { get; private set; }

    /// <summary>
    /// Limits the model to <paramref name="length"/> positions: the position table gets that many rows and a longer
    /// checkpoint table is sliced (keras-bert's <c>seq_len</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Not in [1, max_position_embeddings].</exception>
    public BertModelBuilder WithMaxSequenceLength(int length)
    {
        if (length < 1 || length > config.MaxPositionEmbeddings)
            throw new ArgumentOutOfRangeException(nameof(length), length,
                $"The maximum sequence length must be in [1, {config.MaxPositionEmbeddings}] (max_position_embeddings of the config)");
        maxSequenceLength = length;
        return this;
    }

    /// <summary>Loads weights from a checkpoint after construction (see <see cref="BertCheckpointLoader.Load"/>).</summary>
    /// <param name="path">A TensorFlow prefix or <c>.index</c>, a <c>.safetensors</c> file, or a Hugging Face folder.</param>
    /// <param name="options">Load options; null for the defaults (strict, position slicing allowed).</param>
    public BertModelBuilder WithCheckpoint(string path, CheckpointLoadOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options?.Validate();
        checkpointPath = path;
        checkpointOptions = options;
        return this;
    }

    /// <summary>Makes every parameter trainable (default) or frozen; clears <see cref="WithTrainablePrefixes"/>.</summary>
    public BertModelBuilder WithTrainable(bool value)
    {
        trainable = value;
        trainablePrefixes = null;
        return this;
    }

    /// <summary>
    /// Makes trainable only the parameters whose names start with one of <paramref name="prefixes"/>
    /// (e.g. <c>"encoder.layer.11."</c>, <c>"pooler."</c>); the others are frozen.
    /// </summary>
    /// <exception cref="ArgumentException">No prefix is given or one is empty.</exception>
    public BertModelBuilder WithTrainablePrefixes(params string[] prefixes)
    {
        ArgumentNullException.ThrowIfNull(prefixes);
        if (prefixes.Length == 0 || prefixes.Any(string.IsNullOrEmpty))
            throw new ArgumentException("Give at least one non-empty parameter name prefix", nameof(prefixes));
        trainablePrefixes = (string[])prefixes.Clone();
        return this;
    }

    /// <summary>Moves the model to <paramref name="target"/> (default CPU).</summary>
    public BertModelBuilder OnDevice(Device target)
    {
        ArgumentNullException.ThrowIfNull(target);
        device = target;
        return this;
    }

    /// <summary>Converts the parameters to a floating-point dtype (default float32).</summary>
    /// <exception cref="ArgumentException">The dtype is not floating point.</exception>
    public BertModelBuilder WithDType(ScalarType value)
    {
        if (value is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"The model dtype must be Float32, Float64, Float16 or BFloat16, not {value}", nameof(value));
        dtype = value;
        return this;
    }

    /// <summary>Seeds the random initialisation (a private generator; the global RNG is untouched).</summary>
    public BertModelBuilder WithSeed(long value)
    {
        seed = value;
        return this;
    }

    /// <summary>
    /// Chooses the library that runs the per-token projections (default <see cref="LinearKernel.Auto"/>: oneDNN for
    /// large float32 batches on AVX-512 CPUs, Bert.NET's packed-weight kernel for inference on few rows on AVX2 CPUs);
    /// see <see cref="BertLinear"/>.
    /// </summary>
    public BertModelBuilder WithLinearKernel(LinearKernel value)
    {
        if (!Enum.IsDefined(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, "LinearKernel must be Auto, Gemm, OneDnn or Packed");
        linearKernel = value;
        return this;
    }

    /// <summary>
    /// Mixed precision: with <see cref="ScalarType.BFloat16"/> every per-token projection computes in bfloat16 while the
    /// weights (and so the optimizer's state) stay float32, as PyTorch's autocast does for <c>linear</c>; attention's
    /// softmax, LayerNorm, GELU and the residual stream stay float32 (see <see cref="BertLinear.Apply"/>). Null (the
    /// default) computes in the weights' type. Only faster where bfloat16 outruns float32
    /// (<see cref="CpuCapabilities.HasFastBFloat16"/>: AMX, or avx512_bf16 on AMD); elsewhere (emulated, or Intel's
    /// avx512_bf16 at half the float32 rate) the build warns once (<see cref="BertWarnings"/>).
    /// Unlike <see cref="WithDType"/>, which converts the weights themselves, this keeps float32 weights for training.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> is neither null nor BFloat16.</exception>
    public BertModelBuilder WithComputeType(ScalarType? value)
    {
        computeType = BertLinear.CheckComputeType(value, nameof(value));
        return this;
    }

    /// <summary>
    /// Checks the config against the checkpoint's headers (<see cref="BertCheckpointLoader.CheckShapes"/>) and the
    /// weights against the memory, then builds the model, loads the checkpoint if any (report in
    /// <see cref="LastLoadReport"/>), and returns it in eval mode.
    /// </summary>
    /// <exception cref="ArgumentException">A trainable prefix matches no parameter.</exception>
    /// <exception cref="InvalidDataException">The checkpoint does not fit (see <see cref="BertCheckpointLoader.Load"/>).</exception>
    /// <exception cref="InsufficientMemoryException">The weights alone would not fit in memory.</exception>
    public BertModel Build()
    {
        TorchRuntime.EnsureAvailable();
        LastLoadReport = null;
        // Config against the checkpoint's headers first: a mismatch (a wrong hidden_size, 100000 layers) fails
        // here in milliseconds, not after allocating a model that cannot be filled.
        if (checkpointPath is not null)
            BertCheckpointLoader.CheckShapes(Config, checkpointPath, checkpointOptions);
        using var generator = seed is { } s ? new Generator(unchecked((ulong)s), CPU) : null;
        var model = new BertModel(Config, generator);
        try
        {
            if (checkpointPath is not null)
                LastLoadReport = BertCheckpointLoader.Load(model, checkpointPath, checkpointOptions);
            if (dtype is { } type)
            {
                BertWarnings.CheckBFloat16(type, device);
                model.to(type);
            }
            if (device is not null) model.to(device);
            ApplyTrainable(model);
            BertLinear.SetKernel(model, linearKernel);
            BertLinear.SetComputeType(model, computeType);
            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private void ApplyTrainable(BertModel model)
    {
        var parameters = model.named_parameters().ToList();
        if (trainablePrefixes is null)
        {
            foreach (var (_, parameter) in parameters) parameter.requires_grad = trainable;
            return;
        }
        foreach (var prefix in trainablePrefixes)
        {
            if (!parameters.Any(p => p.name.StartsWith(prefix, StringComparison.Ordinal)))
                throw new ArgumentException(
                    $"The trainable prefix '{prefix}' matches no parameter (names look like 'encoder.layer.0.attention.self.query.weight')", nameof(trainablePrefixes));
        }
        foreach (var (name, parameter) in parameters)
            parameter.requires_grad = trainablePrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
    }
}
