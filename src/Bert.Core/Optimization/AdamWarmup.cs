using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Bert.Tokenization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

using Bert.Core.IO;
using Bert.Core.Modeling;

namespace Bert.Core.Optimization;

/// <summary>
/// keras-bert's <c>AdamWarmup</c> optimizer for TorchSharp parameters: Adam with the learning rate of
/// <see cref="WarmupLinearSchedule"/> (linear warm-up, then linear decay), decoupled weight decay filtered by
/// parameter name, AMSGrad, optional global gradient-norm clipping, and a state that saves and loads so that an
/// interrupted fine-tuning resumes exactly.
/// </summary>
/// <remarks>
/// <para>Step <c>t = 1, 2, ...</c> (<see cref="StepCount"/> after the step), for every parameter <c>theta</c> with a
/// gradient <c>g</c> (scaled first by the clipping factor when <see cref="AdamWarmupOptions.MaxGradNorm"/> is set):</para>
/// <code>
/// lr_s = WarmupLinearSchedule.LearningRateAt(t, lr, W, D, min_lr)
/// lr_t = lr_s * sqrt(1 - b2^t) / (1 - b1^t)
/// m    = b1 * m + (1 - b1) * g
/// v    = b2 * v + (1 - b2) * g^2              (AMSGrad: vhat = max(vhat, v), used in place of v below)
/// u    = m / (sqrt(v) + eps)   (+ wd * theta where weight decay applies)
/// theta -= lr_t * u
/// </code>
/// <para>Differences from other Adams, which change the numbers:</para>
/// <list type="bullet">
/// <item><description>PyTorch's <c>Adam</c>/<c>AdamW</c> add <c>eps</c> to the bias-corrected root,
/// <c>sqrt(v / (1 - b2^t)) + eps</c>; here (as in keras) <c>eps</c> is added to <c>sqrt(v)</c> and the bias correction
/// is folded into <c>lr_t</c>, which equals PyTorch's update with <c>eps * sqrt(1 - b2^t)</c>, a larger effective
/// epsilon early in training. PyTorch's default epsilon is also 1e-8, not 1e-7.</description></item>
/// <item><description>PyTorch's <c>AdamW</c> decays with <c>theta *= 1 - lr_s * wd</c> (the scheduled rate, not
/// bias-corrected, applied before the Adam update); here <c>wd * theta</c> joins <c>u</c> and is scaled by the
/// bias-corrected <c>lr_t</c>, as in keras-bert. PyTorch's <c>Adam</c> with <c>weight_decay</c> adds it to the
/// gradient instead (L2 regularisation), which goes through the moments.</description></item>
/// <item><description>Google BERT's <c>AdamWeightDecayOptimizer</c> (<c>optimization.py</c>) has the same
/// <c>u = m / (sqrt(v) + eps) + wd * theta</c> but no bias correction (<c>lr_t = lr_s</c>) and <c>eps</c> 1e-6. Its
/// <c>create_optimizer</c> schedule is also linear warm-up then linear decay from step 0, but counts from 0 (the first
/// update uses rate 0, each later one the rate this schedule gives the previous step), and it always clips the global
/// norm to 1.0 with <c>tf.clip_by_global_norm</c> (factor <c>clip / max(norm, clip)</c>).</description></item>
/// <item><description>The step counter is global, as in keras: a parameter without a gradient in some step keeps its
/// moments, and its next update uses the bias correction of the global step (PyTorch counts steps per parameter).</description></item>
/// </list>
/// <para>Float32 parameters in contiguous CPU memory (the usual case) are updated by one fused, vectorised,
/// multi-threaded pass over the parameter, gradient and moments, with no tensor allocated per step. In that pass, a block
/// of 256 elements whose moments are still exactly zero and whose gradient is zero (in fine-tuning, the word-embedding
/// rows of tokens no batch has held yet: only 8,251 of wiki-ja's 32,000 ids occur in KNBC) gets only its weight decay,
/// with the same bits as the full update and without reading or writing the moments. A sparse (COO) gradient whose
/// entries are whole rows of a 2-D parameter (the word embeddings' with <see cref="Modeling.BertEmbeddings.SparseWordGradients"/>)
/// is summed per row in the order of libtorch's dense embedding backward and used as it is, so the step has the bits
/// of the dense gradient's without its (V, H) table; other sparse gradients are made dense first. Any other
/// parameter (another dtype or device, non-contiguous) goes through equivalent TorchSharp tensor operations.
/// The optimizer is not thread-safe.</para>
/// </remarks>
public sealed class AdamWarmup : IDisposable
{
    // A multiple of AdamWarmupKernel.ZeroStateBlock: no block of flags straddles two chunks.
    private const long ChunkElements = 1 << 18;

    private readonly AdamWarmupOptions _options;
    private readonly Parameter[] _parameters;
    private readonly string[]? _names;
    private readonly bool[] _decays;
    private readonly bool[] _fused;
    private readonly (int Index, int Start, int Length)[] _chunks;
    private Tensor[] _m;
    private Tensor[] _v;
    private Tensor[]? _vMax;
    // Per fused parameter, one flag per AdamWarmupKernel.ZeroStateBlock elements: true while m, v (and vhat) are all +0
    // there, so that a zero gradient only decays theta (the rows of the word embeddings no batch has reached yet).
    private readonly bool[][] _zeroState;
    private bool _disposed;

    /// <summary>Creates the optimizer over unnamed parameters (for example <c>model.parameters()</c>).</summary>
    /// <param name="parameters">The parameters to update; each once.</param>
    /// <param name="options">The settings, validated and copied (later changes to the object have no effect).</param>
    /// <exception cref="ArgumentException">The options are invalid, the list is empty or holds a parameter twice, or weight
    /// decay is on with name exclusions, which need the named-parameters constructor.</exception>
    public AdamWarmup(IEnumerable<Parameter> parameters, AdamWarmupOptions options)
        : this(Materialize(parameters), null, options)
    {
    }

    /// <summary>
    /// Creates the optimizer over named parameters (for example <c>model.named_parameters()</c>), so that parameters whose
    /// name contains one of <see cref="AdamWarmupOptions.WeightDecayExclusions"/> get no weight decay; see
    /// <see cref="DecayTensorCount"/> and the other counts for the split.
    /// </summary>
    /// <param name="namedParameters">The parameters to update with their names; each once.</param>
    /// <param name="options">The settings, validated and copied (later changes to the object have no effect).</param>
    /// <exception cref="ArgumentException">The options are invalid, or the list is empty or holds a parameter or a name twice.</exception>
    public AdamWarmup(IEnumerable<(string Name, Parameter Parameter)> namedParameters, AdamWarmupOptions options)
        : this(MaterializeNamed(namedParameters, out var names), names, options)
    {
    }

    private AdamWarmup(Parameter[] parameters, string[]? names, AdamWarmupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TorchRuntime.EnsureAvailable();
        _options = options.Clone();
        if (parameters.Length == 0)
            throw new ArgumentException("There are no parameters to optimize.", names is null ? "parameters" : "namedParameters");
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        var addresses = new Dictionary<nint, int>();
        for (var i = 0; i < parameters.Length; i++)
        {
            if (parameters[i] is null)
                throw new ArgumentException($"Parameter #{i} is null.", names is null ? "parameters" : "namedParameters");
            if (!seen.Add(parameters[i]))
                throw new ArgumentException($"Parameter #{i}{NameSuffix(names, i)} appears twice.", names is null ? "parameters" : "namedParameters");
            // Two wrappers of one tensor (tied weights) would be updated twice per step.
            if (IsFusable(parameters[i]) && parameters[i].numel() > 0)
            {
                var address = Unsafe.ByteOffset(ref Unsafe.NullRef<byte>(), ref MemoryMarshal.GetReference(parameters[i].bytes));
                if (!addresses.TryAdd(address, i))
                    throw new ArgumentException(
                        $"Parameter #{i}{NameSuffix(names, i)} shares its memory with parameter #{addresses[address]}{NameSuffix(names, addresses[address])} " +
                        "(tied weights): pass it once.", names is null ? "parameters" : "namedParameters");
            }
        }
        if (names is null && _options.WeightDecay > 0 && _options.WeightDecayExclusions.Count > 0)
            throw new ArgumentException(
                $"WeightDecay is {_options.WeightDecay} with WeightDecayExclusions [{string.Join(", ", _options.WeightDecayExclusions)}], " +
                "but the parameters have no names to filter: pass named parameters (model.named_parameters()), " +
                "or set WeightDecayExclusions to an empty list to decay every parameter.", nameof(options));

        _parameters = parameters;
        _names = names;
        _decays = new bool[parameters.Length];
        _fused = new bool[parameters.Length];
        var chunks = new List<(int, int, int)>();
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            var numel = p.numel();
            _decays[i] = names is null || !_options.WeightDecayExclusions.Any(x => names[i].Contains(x, StringComparison.Ordinal));
            if (_decays[i]) { DecayTensorCount++; DecayElementCount += numel; }
            else { NoDecayTensorCount++; NoDecayElementCount += numel; }
            _fused[i] = IsFusable(p);
            if (_fused[i])
            {
                for (long start = 0; start < numel; start += ChunkElements)
                    chunks.Add((i, (int)start, (int)Math.Min(ChunkElements, numel - start)));
            }
        }
        _chunks = chunks.ToArray();
        (_m, _v, _vMax) = AllocateState(parameters, _options.Amsgrad);
        _zeroState = new bool[parameters.Length][];
        for (var i = 0; i < parameters.Length; i++)
        {
            _zeroState[i] = _fused[i] ? new bool[(parameters[i].numel() + AdamWarmupKernel.ZeroStateBlock - 1) / AdamWarmupKernel.ZeroStateBlock] : [];
            Array.Fill(_zeroState[i], true);
        }
    }

    /// <summary>The number of optimizer steps taken (the <c>t</c> of the last step); restored by <see cref="LoadState(Stream)"/>.</summary>
    public long StepCount { get; private set; }

    /// <summary>The scheduled learning rate <c>lr_s</c> of the last step (before bias correction); 0 before the first step.</summary>
    public double CurrentLearningRate => StepCount == 0 ? 0 : _options.LearningRateAt(StepCount);

    /// <summary>The global L2 norm of the gradients of the last step, before clipping; <see langword="null"/> without clipping
    /// or before the first step.</summary>
    public double? LastGradNorm { get; private set; }

    /// <summary>A copy of the settings in use.</summary>
    public AdamWarmupOptions Options => _options.Clone();

    /// <summary>The number of parameter tensors.</summary>
    public int ParameterCount => _parameters.Length;

    /// <summary>
    /// The number of parameter tensors that get weight decay: those whose name contains none of
    /// <see cref="AdamWarmupOptions.WeightDecayExclusions"/> (all of them when built from unnamed parameters). The split is
    /// by name only; with <see cref="AdamWarmupOptions.WeightDecay"/> 0 nothing decays.
    /// </summary>
    public int DecayTensorCount { get; }

    /// <summary>The number of parameter elements in the tensors that get weight decay.</summary>
    public long DecayElementCount { get; }

    /// <summary>The number of parameter tensors excluded from weight decay by <see cref="AdamWarmupOptions.WeightDecayExclusions"/>.</summary>
    public int NoDecayTensorCount { get; }

    /// <summary>The number of parameter elements in the tensors excluded from weight decay.</summary>
    public long NoDecayElementCount { get; }

    /// <summary>The names of the parameters excluded from weight decay, in order (empty for unnamed parameters).</summary>
    public IReadOnlyList<string> NoDecayParameterNames =>
        _names is null ? Array.Empty<string>() : _names.Where((_, i) => !_decays[i]).ToArray();

    /// <summary>
    /// One line for logs: the tensor and element counts and the weight-decay split, e.g.
    /// <c>AdamWarmup: 201 tensors (110,620,420 elements); weight decay 0.01 on 77 tensors (110,498,304 elements), none on 124 (122,116) matching bias, LayerNorm</c>.
    /// </summary>
    /// <returns>The summary.</returns>
    public override string ToString()
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        var text = string.Create(culture, $"AdamWarmup: {ParameterCount} tensors ({DecayElementCount + NoDecayElementCount:N0} elements); ");
        if (_options.WeightDecay == 0)
            return text + "no weight decay";
        text += string.Create(culture, $"weight decay {_options.WeightDecay} on {DecayTensorCount} tensors ({DecayElementCount:N0} elements)");
        return NoDecayTensorCount == 0
            ? text
            : text + string.Create(culture,
                $", none on {NoDecayTensorCount} ({NoDecayElementCount:N0}) matching {string.Join(", ", _options.WeightDecayExclusions)}");
    }

    /// <summary>Forces the tensor-operation path for every parameter (tests compare both paths with the goldens).</summary>
    internal bool UseTensorOperations { get; set; }

    /// <summary>The number of parameters the last step updated from their sparse gradient's rows, without a dense copy.</summary>
    internal int LastSparseRowGradients { get; private set; }

    /// <summary>When false, every block gets the full fused update, as if its moments were never zero (tests compare the bits).</summary>
    internal bool SkipZeroStateBlocks { get; set; } = true;

    /// <summary>
    /// Takes one optimizer step with each parameter's <c>.grad</c>. Parameters whose gradient is null are skipped and
    /// their moments left as they are; the step counter and the schedule advance anyway.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The optimizer was disposed.</exception>
    /// <exception cref="InvalidOperationException">A gradient does not match its parameter (shape, dtype, device; a sparse
    /// gradient's row outside the parameter), or
    /// clipping is on and the gradient norm is not finite; nothing was changed.</exception>
    public void Step()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var grads = new Tensor?[_parameters.Length];
        var sparse = new SparseRowGradient?[_parameters.Length];
        try
        {
            var fusedGrad = new bool[_parameters.Length];
            for (var i = 0; i < _parameters.Length; i++)
            {
                var g = _parameters[i].grad;
                if (g is null) continue;
                CheckGradient(i, g);
                var fusable = _fused[i] && !UseTensorOperations && IsFusable(_parameters[i]);
                if (g.is_sparse)
                {
                    sparse[i] = fusable ? SparseRowGradient.TryCreate(g, _parameters[i], $" #{i}{NameSuffix(_names, i)}") : null;
                    if (sparse[i] is not null)
                    {
                        fusedGrad[i] = true;
                        continue;
                    }
                    g = g.to_dense();
                }
                grads[i] = g;
                fusedGrad[i] = fusable && IsFusable(g);
            }
            TakeStep(grads, sparse, fusedGrad);
            LastSparseRowGradients = sparse.Count(s => s is not null);
        }
        finally
        {
            foreach (var s in sparse) s?.Dispose();
        }
    }

    private void TakeStep(Tensor?[] grads, SparseRowGradient?[] sparse, bool[] fusedGrad)
    {
        var t = StepCount + 1;
        var learningRate = _options.LearningRateAt(t);
        var stepSize = learningRate * Math.Sqrt(1 - Math.Pow(_options.Beta2, t)) / (1 - Math.Pow(_options.Beta1, t));
        var chunks = Array.FindAll(_chunks, c => fusedGrad[c.Index]);

        double gradScale = 1;
        double? norm = null;
        if (_options.MaxGradNorm is { } maxNorm)
        {
            var sum = SumOfSquares(grads, sparse, fusedGrad, chunks);
            norm = Math.Sqrt(sum);
            if (!double.IsFinite(norm.Value))
                throw new InvalidOperationException(
                    $"The global gradient norm at step {t} is {norm.Value}; the step was not taken. Check the loss for NaN/Infinity.");
            var coefficient = maxNorm / (norm.Value + 1e-6);
            if (coefficient < 1) gradScale = coefficient;
        }

        var wd = _options.WeightDecay;
        var decayCoefficients = Coefficients(stepSize, wd, gradScale);
        var plainCoefficients = Coefficients(stepSize, 0, gradScale);
        if (chunks.Length > 0)
        {
            if (!SkipZeroStateBlocks)
                foreach (var flags in _zeroState) Array.Clear(flags);
            // On libtorch's OpenMP threads: a .NET worker would share a core with one of them, still spinning after backward.
            ProductThreads.ForEach(chunks.Length, torch.get_num_threads(), k =>
            {
                var (i, start, length) = chunks[k];
                var c = _decays[i] ? decayCoefficients : plainCoefficients;
                if (sparse[i] is { } rows)
                {
                    AdamWarmupKernel.UpdateSparseBlocks(Floats(_parameters[i], start, length), rows, start,
                        Floats(_m[i], start, length),
                        Floats(_v[i], start, length),
                        _vMax is null ? Span<float>.Empty : Floats(_vMax[i], start, length),
                        ZeroStateFlags(i, start, length),
                        c);
                    return;
                }
                AdamWarmupKernel.UpdateBlocks(
                    Floats(_parameters[i], start, length),
                    Floats(grads[i]!, start, length),
                    Floats(_m[i], start, length),
                    Floats(_v[i], start, length),
                    _vMax is null ? Span<float>.Empty : Floats(_vMax[i], start, length),
                    ZeroStateFlags(i, start, length),
                    c);
            });
            // The fused kernel writes through the parameters' memory, which libtorch does not see: count the change,
            // as an in-place libtorch operation would, so caches of the values (BertLinear's packed weights) notice it.
            for (var i = 0; i < _parameters.Length; i++)
                if (fusedGrad[i]) TensorVersions.Bump(_parameters[i]);
        }
        for (var i = 0; i < _parameters.Length; i++)
        {
            if (grads[i] is { } g && !fusedGrad[i])
                UpdateWithTensorOperations(i, g, stepSize, _decays[i] ? wd : 0, gradScale);
        }

        StepCount = t;
        LastGradNorm = norm;
    }

    /// <summary>
    /// Clears every parameter's gradient (sets <c>.grad</c> to none, like PyTorch's <c>zero_grad(set_to_none=True)</c>):
    /// the next backward pass allocates fresh gradients, and parameters that receive none are skipped by <see cref="Step"/>.
    /// </summary>
    public void ZeroGrad()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var p in _parameters)
        {
            using var g = p.grad;
            if (g is not null)
                p.grad = null;
        }
    }

    /// <summary>
    /// Writes the optimizer state (step count, last gradient norm, and the moments <c>m</c>, <c>v</c> and, with AMSGrad,
    /// <c>vhat</c> of every parameter, with names and shapes) to <paramref name="stream"/>. Save the model's parameters
    /// alongside: together they resume training exactly.
    /// </summary>
    /// <param name="stream">A writable stream; left open.</param>
    public void SaveState(Stream stream)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(stream);
        AdamWarmupStateFormat.Write(stream, new AdamWarmupStateFormat.Snapshot(StepCount, LastGradNorm, _names, _m, _v, _vMax));
    }

    /// <summary>Writes the optimizer state to a file atomically (a temporary file in the same folder, then a rename).</summary>
    /// <param name="path">The file to create or replace.</param>
    public void SaveState(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, SaveState);
    }

    /// <summary>
    /// Replaces the optimizer state with one written by <see cref="SaveState(Stream)"/> for the same parameters (same
    /// count, order, shapes, dtypes and, when both sides have them, names; same AMSGrad setting). The whole input is read
    /// and checked before anything changes.
    /// </summary>
    /// <param name="stream">A readable stream positioned at the state; left open.</param>
    /// <exception cref="InvalidDataException">The data is not an AdamWarmup state, is truncated, or does not match these
    /// parameters; the message names the tensor and what differs.</exception>
    public void LoadState(Stream stream)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(stream);
        var loaded = AdamWarmupStateFormat.Read(stream, _parameters, _names, _options.Amsgrad);
        DisposeState();
        _m = loaded.M;
        _v = loaded.V;
        _vMax = loaded.VMax;
        for (var i = 0; i < _parameters.Length; i++)
        {
            Array.Fill(_zeroState[i], true);
            if (_zeroState[i].Length == 0) continue;
            var n = (int)_parameters[i].numel();
            AdamWarmupKernel.FindZeroBlocks(Floats(_m[i], 0, n), _zeroState[i]);
            AdamWarmupKernel.FindZeroBlocks(Floats(_v[i], 0, n), _zeroState[i]);
            if (_vMax is not null)
                AdamWarmupKernel.FindZeroBlocks(Floats(_vMax[i], 0, n), _zeroState[i]);
        }
        StepCount = loaded.StepCount;
        LastGradNorm = loaded.LastGradNorm;
    }

    /// <summary>Loads the optimizer state from a file written by <see cref="SaveState(string)"/>.</summary>
    /// <param name="path">The state file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an AdamWarmup state or does not match these parameters.</exception>
    public void LoadState(string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!SaveSnapshot.FileExists(path))
            throw new FileNotFoundException($"The optimizer state file '{path}' does not exist.", path);
        using var stream = SaveSnapshot.OpenRead(path, 1 << 20);
        try
        {
            LoadState(stream);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Releases the moment tensors. The parameters are not touched.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeState();
    }

    private void DisposeState()
    {
        foreach (var t in _m) t?.Dispose();
        foreach (var t in _v) t?.Dispose();
        if (_vMax is not null)
            foreach (var t in _vMax) t?.Dispose();
    }

    private AdamWarmupCoefficients Coefficients(double stepSize, double weightDecay, double gradScale) => new(
        (float)_options.Beta1, (float)(1 - _options.Beta1), (float)_options.Beta2, (float)(1 - _options.Beta2),
        (float)_options.Epsilon, (float)stepSize, (float)weightDecay, (float)gradScale);

    private double SumOfSquares(Tensor?[] grads, SparseRowGradient?[] sparse, bool[] fusedGrad, (int Index, int Start, int Length)[] chunks)
    {
        // One partial sum per chunk, added in a fixed order: the norm does not depend on thread timing.
        var partial = new double[chunks.Length];
        ProductThreads.ForEach(chunks.Length, torch.get_num_threads(), k =>
        {
            var (i, start, length) = chunks[k];
            partial[k] = sparse[i] is { } rows
                ? AdamWarmupKernel.SumOfSquares(rows, start, length)
                : AdamWarmupKernel.SumOfSquares(Floats(grads[i]!, start, length));
        });
        var sum = 0.0;
        foreach (var s in partial) sum += s;
        for (var i = 0; i < grads.Length; i++)
        {
            if (grads[i] is not { } g || fusedGrad[i]) continue;
            using var scope = NewDisposeScope();
            sum += g.to_type(ScalarType.Float64).square().sum().item<double>();
        }
        return sum;
    }

    private void UpdateWithTensorOperations(int i, Tensor grad, double stepSize, double weightDecay, double gradScale)
    {
        using var scope = NewDisposeScope();
        Array.Clear(_zeroState[i]);
        var p = _parameters[i];
        var g = gradScale == 1 ? grad : grad.mul((float)gradScale);
        var b1 = _options.Beta1;
        var b2 = _options.Beta2;
        _m[i].mul_(b1).add_(g, 1 - b1);
        _v[i].mul_(b2).addcmul_(g, g, 1 - b2);
        var v = _v[i];
        if (_vMax is not null)
        {
            _vMax[i].copy_(torch.maximum(_vMax[i], _v[i]));
            v = _vMax[i];
        }
        var u = _m[i].div(v.sqrt().add_(_options.Epsilon));
        if (weightDecay != 0)
            u.add_(p, weightDecay);
        p.add_(u, -stepSize);
    }

    private void CheckGradient(int i, Tensor g)
    {
        var p = _parameters[i];
        if (!g.shape.SequenceEqual(p.shape))
            throw new InvalidOperationException(
                $"Parameter #{i}{NameSuffix(_names, i)} has shape [{string.Join(", ", p.shape)}] but its gradient [{string.Join(", ", g.shape)}].");
        if (!p.shape.SequenceEqual(_m[i].shape))
            throw new InvalidOperationException(
                $"Parameter #{i}{NameSuffix(_names, i)} has shape [{string.Join(", ", p.shape)}] but had [{string.Join(", ", _m[i].shape)}] " +
                "when the optimizer was created: a resized parameter needs a new optimizer.");
        if (g.dtype != p.dtype || g.device_type != p.device_type)
            throw new InvalidOperationException(
                $"Parameter #{i}{NameSuffix(_names, i)} is {p.dtype} on {p.device} but its gradient is {g.dtype} on {g.device}.");
    }

    private static bool IsFusable(Tensor t) =>
        t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous() && t.numel() * sizeof(float) <= int.MaxValue;

    private Span<bool> ZeroStateFlags(int i, int start, int length) =>
        _zeroState[i].AsSpan(start / AdamWarmupKernel.ZeroStateBlock,
            (length + AdamWarmupKernel.ZeroStateBlock - 1) / AdamWarmupKernel.ZeroStateBlock);

    private static Span<float> Floats(Tensor t, int start, int length) =>
        MemoryMarshal.Cast<byte, float>(t.bytes).Slice(start, length);

    private static (Tensor[] M, Tensor[] V, Tensor[]? VMax) AllocateState(Parameter[] parameters, bool amsgrad)
    {
        var m = new Tensor[parameters.Length];
        var v = new Tensor[parameters.Length];
        var vMax = amsgrad ? new Tensor[parameters.Length] : null;
        using var noGrad = no_grad();
        for (var i = 0; i < parameters.Length; i++)
        {
            m[i] = zeros_like(parameters[i]).DetachFromDisposeScope();
            v[i] = zeros_like(parameters[i]).DetachFromDisposeScope();
            if (vMax is not null) vMax[i] = zeros_like(parameters[i]).DetachFromDisposeScope();
        }
        return (m, v, vMax);
    }

    internal static string NameSuffix(string[]? names, int i) => names is null ? "" : $" '{names[i]}'";

    private static Parameter[] Materialize(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters.ToArray();
    }

    private static Parameter[] MaterializeNamed(IEnumerable<(string Name, Parameter Parameter)> namedParameters, out string[] names)
    {
        ArgumentNullException.ThrowIfNull(namedParameters);
        var list = namedParameters.ToArray();
        names = new string[list.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Length; i++)
        {
            var name = list[i].Name;
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException($"Parameter #{i} has no name.", nameof(namedParameters));
            if (!seen.Add(name))
                throw new ArgumentException($"The parameter name '{name}' appears twice.", nameof(namedParameters));
            names[i] = name;
        }
        return list.Select(x => x.Parameter).ToArray();
    }
}
