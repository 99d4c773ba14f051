using System.Runtime.Intrinsics.X86;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Bert.Core.Modeling;

/// <summary>Which library runs the matrix product of a <see cref="BertLinear"/>.</summary>
public enum LinearKernel
{
    /// <summary>
    /// Chosen per call from measurements on each CPU kind (bench <c>--mode ops</c>, <c>train</c>, <c>onnx</c>), for
    /// float32 CPU inputs. For products no gradient flows through (inference), <see cref="Packed"/> up to
    /// <see cref="BertLinear.PackedMaxRows"/> rows without AVX-512 (AVX2) and up to
    /// <see cref="BertLinear.PackedMaxRowsAvx512"/> rows on Intel with AVX-512. Then, on AMD with AVX-512, <see cref="OneDnn"/>
    /// from <see cref="BertLinear.OneDnnMinRows"/> rows, forward and backward; on Intel with AVX-512, <see cref="Gemm"/>
    /// (MKL's own AVX-512 kernels were faster than oneDNN's, forward and backward); without AVX-512, <see cref="OneDnn"/>
    /// for inference from <see cref="BertLinear.OneDnnMinRowsAvx2"/> rows unless
    /// <see cref="Bert.Core.TorchRuntime.UseMklAvx2KernelsOnAmd"/> has let MKL run its AVX2 kernels; <see cref="Gemm"/> otherwise.
    /// </summary>
    Auto,

    /// <summary><c>torch.nn.functional.linear</c>: libtorch's BLAS (MKL in the official CPU builds).</summary>
    Gemm,

    /// <summary>oneDNN, reached through a 1x1 convolution over a channels-last view of the input (no copy).</summary>
    OneDnn,

    /// <summary>
    /// Bert.NET's own AVX2/FMA (or AVX-512) kernel on a copy of the weight packed once per layer (see
    /// <see cref="BertLinear"/>), split over libtorch's threads; for products no gradient flows through (inference) on
    /// float32 CPU tensors whose output features are a multiple of 16, on processors with AVX2 and FMA. Other products
    /// fall back to <see cref="Gemm"/>.
    /// </summary>
    Packed,
}

/// <summary>
/// A fully connected layer, <c>y = x W^T + b</c>, with the parameters and state-dict layout of <c>nn.Linear</c>
/// (<c>weight</c> (out, in), <c>bias</c> (out)), used for every per-token projection of BERT.
/// </summary>
/// <remarks>
/// Why not <c>nn.Linear</c>: libtorch's CPU build runs float32 <c>linear</c> through MKL, and MKL takes its AVX2
/// code path on AMD processors; oneDNN, also inside libtorch, uses AVX-512 wherever the CPU has it. On a Zen 5
/// EPYC (full-width AVX-512) the oneDNN product is about twice as fast, forward and backward (bench
/// <c>--mode ops</c>). TorchSharp exposes no oneDNN matmul for float32, but libtorch sends float32 convolutions to
/// oneDNN, and a row-major (N, in) matrix is, byte for byte, a channels-last image batch (n, in, N/n, 1): a 1x1
/// convolution over that view with the weight viewed as (out, in, 1, 1) is the same product, with no copy in or
/// out, and autograd differentiates it as usual. Results are float32-accurate but not bit-identical to
/// <see cref="LinearKernel.Gemm"/> (another summation order). bfloat16 already goes to oneDNN through
/// <c>linear</c>, so only float32 takes the detour.
/// <para>
/// For inference on few rows (one sentence, a short batch) on processors with AVX2 and without AVX-512, and on Intel
/// processors with AVX-512, <see cref="LinearKernel.Auto"/> runs Bert.NET's own kernel instead
/// (<see cref="LinearKernel.Packed"/>): MKL repacks the weight on every call and splits small products over its
/// threads poorly, while this layer keeps a copy of its weight packed for the kernel and splits the output features
/// over libtorch's threads. On a 2-core Zen 3 a small BERT predicted one KNBC sentence at a time 1.5-1.7× as fast, and
/// MiniLM one 128-token sequence 1.15×; on a 2-core Intel Xeon (AVX-512) MiniLM at one 128-token sequence ran 1.29-1.38×
/// as fast as with MKL's AVX-512 kernels.
/// The copy costs memory: as much again as the layer's weight (BERT-base: 340 MB), made on the first such product
/// and freed with the layer. It is made again whenever the weight changes through libtorch (its version counter:
/// in-place operations, <c>copy_</c>, <c>load_state_dict</c>, optimizer steps including
/// <see cref="Optimization.AdamWarmup"/>'s); a weight written around libtorch (through <c>Tensor.bytes</c>) is not
/// noticed until <see cref="Kernel"/> is set again. Results are float32-accurate and the same on any number of threads,
/// but not bit-identical to MKL's.
/// </para>
/// </remarks>
public sealed class BertLinear : Module<Tensor, Tensor>
{
    /// <summary>
    /// Rows (product of all input dimensions but the last) from which <see cref="LinearKernel.Auto"/> uses oneDNN on a
    /// processor with AVX-512 that is not Intel's.
    /// </summary>
    /// <remarks>
    /// Measured crossover on a Zen 5 EPYC: below about 256 rows oneDNN's per-call set-up outweighs its faster kernel. On
    /// an Intel Xeon (family 6, model 207) MKL runs its own AVX-512 kernels and oneDNN was slower: BERT-base training
    /// steps at 16 × 128 ran at 2.57–2.58 sequences/s with oneDNN against 2.85–3.22 with MKL, inference at 9.3–11.3
    /// against 11.1–12.2 (bench <c>--mode train|infer --kernel auto|gemm</c>, alternating), and one forward+backward
    /// 768→3072 product on 2048 rows took 150 against 100 ms (<c>--mode ops</c>); so Intel keeps MKL.
    /// </remarks>
    public const long OneDnnMinRows = 256;

    /// <summary>Rows from which <see cref="LinearKernel.Auto"/> uses oneDNN for inference on a CPU without AVX-512.</summary>
    /// <remarks>
    /// Measured on a Zen 3 EPYC (AVX2, 2 threads, bench <c>--mode ops</c>): oneDNN's forward product is 0–15% faster
    /// than MKL's from 1024 rows (BERT-base 768→3072 on 2048 rows: 82 against 88 ms; 3072→768: 78 against 84 ms) and
    /// 10–20% slower at 384 rows; its backward is 1.7× slower (forward+backward 463 against 263 ms), so training keeps MKL.
    /// That MKL was on its generic path for non-Intel processors: after <see cref="Bert.Core.TorchRuntime.UseMklAvx2KernelsOnAmd"/>
    /// MKL is as fast or faster at every size (2048 rows: 768→3072 in 69-73 against oneDNN's 79-81 ms; 384 rows: 14 against 23 ms).
    /// </remarks>
    public const long OneDnnMinRowsAvx2 = 1024;

    /// <summary>
    /// Rows up to which <see cref="LinearKernel.Auto"/> uses <see cref="LinearKernel.Packed"/> for inference on a CPU
    /// with AVX2 and without AVX-512.
    /// </summary>
    /// <remarks>
    /// Measured on a 2-core Zen 3 EPYC against MKL's AVX2 kernels (weights cycled through 40 layers, so not in cache,
    /// as in a forward pass): the packed product is as fast or faster up to 1024 rows on one and two threads (384→384
    /// on 256 rows: 179 against 149 GFLOP/s on two threads; 1536→384 on 1024 rows: 180-188 against 177-179), and slower
    /// on 2048 (384→1536: 141 against 160).
    /// </remarks>
    public const long PackedMaxRows = 1024;

    /// <summary>
    /// Rows up to which <see cref="LinearKernel.Auto"/> uses <see cref="LinearKernel.Packed"/> (its AVX-512 kernel) for
    /// inference on an Intel CPU with AVX-512.
    /// </summary>
    /// <remarks>
    /// Measured on a 2-core Intel Xeon (family 6, model 207) against MKL's AVX-512 kernels, bench <c>--mode ops</c>
    /// (MiniLM's 384→384, 384→1536 and 1536→384): the packed product is as fast or faster up to 512 rows on one and two
    /// threads (384→1536 on 192 rows: 0.78 against 1.33 ms on two threads; on 512 rows: 2.06 against 2.55), and slower
    /// on 1024 and 2048 (384→1536 on 2048 rows: 14.5 against 8.0 ms). End to end, MiniLM at 16 × 128 (two streams of
    /// 1024 rows) ran at 0.89–0.91 of ONNX Runtime with the packed kernel and 1.12 with MKL's.
    /// </remarks>
    public const long PackedMaxRowsAvx512 = 512;

    private readonly Parameter weight;
    private readonly Parameter bias;

    /// <summary>Creates the layer with <c>nn.Linear</c>'s default initialisation (uniform in ±1/sqrt(in)).</summary>
    public BertLinear(long inFeatures, long outFeatures) : base(nameof(BertLinear))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        double bound = 1.0 / Math.Sqrt(inFeatures);
        using (no_grad())
        {
            weight = new Parameter(empty(outFeatures, inFeatures).uniform_(-bound, bound));
            bias = new Parameter(empty(outFeatures).uniform_(-bound, bound));
        }
        RegisterComponents();
    }

    /// <summary>The weight, (out, in).</summary>
    public Parameter Weight => weight;

    /// <summary>The bias, (out).</summary>
    public Parameter Bias => bias;

    /// <summary>
    /// The kernel this layer uses; <see cref="LinearKernel.Auto"/> unless set (see <see cref="SetKernel"/>). Setting it
    /// also drops the packed copy of the weight (<see cref="LinearKernel.Packed"/>), which is otherwise kept until the
    /// weight changes through libtorch.
    /// </summary>
    public LinearKernel Kernel
    {
        get => kernel;
        set
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "LinearKernel must be Auto, Gemm, OneDnn or Packed");
            kernel = value;
            // Not freed here: another thread may be reading it; its finalizer frees it.
            Volatile.Write(ref packed, null);
        }
    }

    private LinearKernel kernel = LinearKernel.Auto;
    private PackedLinearWeights? packed;
    private readonly object packGate = new();

    /// <summary>
    /// The type the product is computed in: null (default) computes in the parameters' type; <see cref="ScalarType.BFloat16"/>
    /// with float32 parameters is mixed precision (see <see cref="Apply"/>). Set it on a whole model with <see cref="SetComputeType"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Set to a type other than null or BFloat16.</exception>
    public ScalarType? ComputeType
    {
        get => computeType;
        set => computeType = CheckComputeType(value, nameof(value));
    }

    private ScalarType? computeType;

    /// <summary><c>x W^T + b</c>: (..., in) to (..., out).</summary>
    public override Tensor forward(Tensor input) =>
        UsesPacked(input) ? ApplyPacked(input) : Apply(input, weight, bias, kernel, computeType);

    /// <summary>
    /// Whether this product runs on <see cref="LinearKernel.Packed"/>: chosen (or <see cref="LinearKernel.Auto"/> on an
    /// processor kind where it was measured and at most <see cref="AutoPackedMaxRows"/> rows), float32 on the CPU, no gradient
    /// needed, and a weight the packed copy can be made of. (Sizes are read one by one: <c>Tensor.shape</c> costs about
    /// a microsecond a call, a tenth of a small product.)
    /// </summary>
    private bool UsesPacked(Tensor input)
    {
        if (computeType is not null || kernel is LinearKernel.Gemm or LinearKernel.OneDnn || !PackedGemm.IsSupported) return false;
        if (input.dtype != ScalarType.Float32 || input.device_type != DeviceType.CPU || input.dim() == 0 || input.size(-1) != weight.size(1))
            return false;
        if (kernel == LinearKernel.Auto && (!CpuCapabilities.InferenceTuningMeasured || input.numel() / weight.size(1) > AutoPackedMaxRows)) return false;
        if (is_grad_enabled() && (input.requires_grad || weight.requires_grad || bias.requires_grad)) return false;
        return bias.dtype == ScalarType.Float32 && bias.is_contiguous() && PackedLinearWeights.CanPack(weight);
    }

    /// <summary>
    /// Each layer's <see cref="forward"/> of the same input (a layer's query, key and value). Where every one runs on
    /// <see cref="LinearKernel.Packed"/>, the products are split over the threads together (one parallel region, no
    /// wait at each product's end); the results are the same either way.
    /// </summary>
    internal static Tensor[] ForwardEach(Tensor input, params BertLinear[] layers)
    {
        bool together = true;
        foreach (var layer in layers) together &= layer.UsesPacked(input);
        if (!together)
        {
            var outputs = new Tensor[layers.Length];
            for (int i = 0; i < layers.Length; i++) outputs[i] = layers[i].forward(input);
            return outputs;
        }
        var products = new (PackedLinearWeights, Tensor?)[layers.Length];
        for (int i = 0; i < layers.Length; i++) products[i] = (layers[i].PackedWeight(), layers[i].bias);
        if (input.is_contiguous()) return PackedGemm.MultiplyEach(input, products, get_num_threads());
        using var contiguous = input.contiguous();
        return PackedGemm.MultiplyEach(contiguous, products, get_num_threads());
    }

    /// <summary>
    /// <see cref="forward"/> plus <paramref name="residual"/> (of the output's shape), or with GELU (erf form) applied,
    /// done by the packed kernel as it stores each block of the product (AVX-512 or AVX2), instead of as separate
    /// operations; null where this product does not run on the packed kernel (the caller then adds or activates itself).
    /// For inference: a module in training mode must not call it (its dropout comes before the residual).
    /// </summary>
    /// <remarks>
    /// Used by <see cref="BertIntermediate"/> (GELU), <see cref="BertSelfOutput"/> and <see cref="BertOutput"/> (residual)
    /// in eval mode. Measured on a 2-core Intel Xeon (family 6, model 207), forward passes alternating with and without
    /// in one process: a small BERT (4 layers of 256) on one 24-token sentence 545/503 against 475/440 sequences/s
    /// (+14%: libtorch's GELU goes through oneDNN, which looks up its primitive on every call), MiniLM on one 128-token
    /// sequence +0.5-0.9%. With the AVX2 kernel, on the same Xeon with AVX-512 turned off for .NET and libtorch
    /// (<c>DOTNET_EnableAVX512F=0</c>, <c>ATEN_CPU_CAPABILITY=avx2</c>, <c>MKL_ENABLE_INSTRUCTIONS=AVX2</c>,
    /// <c>ONEDNN_MAX_CPU_ISA=AVX2</c>; not yet on an AVX2-only processor): the small BERT on one 24-token sentence
    /// +9.1-12.4% on two threads and +3.8-4.3% on one, MiniLM on one 128-token sequence +0.9-5.0% on two threads, the
    /// small BERT over the KNBC length mix (batches of 16, one thread, as the inference streams run) +0.1%.
    /// The sum with the residual is bit for bit the separate addition's; GELU differs from libtorch's
    /// (oneDNN's) by float32 rounding (its erf is the one libtorch's own vectorised kernels use).
    /// </remarks>
    internal Tensor? ForwardFused(Tensor input, Tensor? residual, bool gelu)
    {
        if (!UsesPacked(input)) return null;
        if (residual is not null)
        {
            if (residual.dtype != ScalarType.Float32 || residual.device_type != DeviceType.CPU || !residual.is_contiguous()
                || residual.dim() != input.dim() || residual.size(-1) != weight.size(0))
                return null;
            for (int d = 0; d < input.dim() - 1; d++)
                if (residual.size(d) != input.size(d)) return null;
        }
        var packedWeight = PackedWeight();
        if (input.is_contiguous()) return PackedGemm.Multiply(input, packedWeight, bias, get_num_threads(), residual, gelu);
        using var contiguous = input.contiguous();
        return PackedGemm.Multiply(contiguous, packedWeight, bias, get_num_threads(), residual, gelu);
    }

    /// <summary>The most rows <see cref="LinearKernel.Auto"/> sends to the packed kernel on this processor.</summary>
    internal static long AutoPackedMaxRows => CpuCapabilities.HasAvx512 ? PackedMaxRowsAvx512 : PackedMaxRows;

    private Tensor ApplyPacked(Tensor input)
    {
        var packedWeight = PackedWeight();
        if (input.is_contiguous()) return PackedGemm.Multiply(input, packedWeight, bias, get_num_threads());
        using var contiguous = input.contiguous();
        return PackedGemm.Multiply(contiguous, packedWeight, bias, get_num_threads());
    }

    /// <summary>The packed copy of the weight, made again when the weight's memory, shape or libtorch version changed.</summary>
    private PackedLinearWeights PackedWeight()
    {
        var current = Volatile.Read(ref packed);
        if (current is not null && current.Matches(weight)) return current;
        lock (packGate)
        {
            current = packed;
            if (current is not null && current.Matches(weight)) return current;
            // The copy replaced is not freed here (another thread may be reading it): its finalizer frees it.
            var fresh = PackedLinearWeights.Pack(weight);
            Volatile.Write(ref packed, fresh);
            return fresh;
        }
    }

    /// <summary>Frees the packed copy of the weight with the module.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing) Interlocked.Exchange(ref packed, null)?.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// Sets <see cref="ComputeType"/> on every <see cref="BertLinear"/> inside <paramref name="root"/>: BFloat16 turns on
    /// mixed precision for all projections (the weights stay float32), null turns it off. Where bfloat16 is slower than
    /// float32 (<see cref="CpuCapabilities.HasFastBFloat16"/> false) this warns once (<see cref="BertWarnings"/>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="type"/> is neither null nor BFloat16.</exception>
    public static void SetComputeType(nn.Module root, ScalarType? type)
    {
        ArgumentNullException.ThrowIfNull(root);
        CheckComputeType(type, nameof(type));
        if (type is { } t) BertWarnings.CheckBFloat16(t);
        foreach (var (_, module) in root.named_modules())
            if (module is BertLinear linear)
                linear.ComputeType = type;
    }

    /// <summary>The compute type of the first <see cref="BertLinear"/> inside <paramref name="root"/> that has one; null when none has.</summary>
    public static ScalarType? ComputeTypeOf(nn.Module root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var (_, module) in root.named_modules())
            if (module is BertLinear { ComputeType: { } type })
                return type;
        return null;
    }

    /// <summary><paramref name="type"/> when it is a compute type (null or BFloat16); an <see cref="ArgumentException"/> naming <paramref name="parameter"/> otherwise.</summary>
    internal static ScalarType? CheckComputeType(ScalarType? type, string parameter) =>
        type is null or ScalarType.BFloat16
            ? type
            : throw new ArgumentException($"A linear layer's compute type must be null (the parameters' type) or BFloat16, not {type}.", parameter);

    /// <summary>
    /// Sets <see cref="Kernel"/> on every <see cref="BertLinear"/> inside <paramref name="root"/> (which drops their
    /// packed copies).
    /// </summary>
    public static void SetKernel(nn.Module root, LinearKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var (_, module) in root.named_modules())
            if (module is BertLinear linear)
                linear.Kernel = kernel;
    }

    /// <summary>
    /// <c>input weight^T + bias</c> with the given kernel (also for weights that are not a <see cref="BertLinear"/>'s,
    /// such as a decoder tied to the word embeddings).
    /// </summary>
    /// <param name="input">(..., in).</param>
    /// <param name="weight">(out, in).</param>
    /// <param name="bias">(out), or null.</param>
    /// <param name="kernel">The library that runs a float32 product.</param>
    /// <param name="computeType">
    /// Null: the product runs in the input's type. BFloat16 with a float32 input and weight: mixed precision, as
    /// PyTorch's autocast does for <c>linear</c>: input and weight are cast to bfloat16 (autograd casts their gradients
    /// back, so float32 weights receive float32 gradients), the product runs in bfloat16 (oneDNN; float32 accumulation
    /// inside, rounded once), and the result is widened to float32 for what follows (LayerNorm, softmax, GELU and the
    /// residual stream stay float32). The bias is added in float32 (autocast rounds it to bfloat16 too).
    /// </param>
    public static Tensor Apply(Tensor input, Tensor weight, Tensor? bias, LinearKernel kernel = LinearKernel.Auto, ScalarType? computeType = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        long inFeatures = weight.size(1), outFeatures = weight.size(0);
        if (input.dim() == 0 || input.size(-1) != inFeatures)
            throw new ArgumentException(
                $"linear input has shape [{string.Join(", ", input.shape)}]; its last dimension must be {inFeatures} (weight is [{outFeatures}, {inFeatures}])",
                nameof(input));
        if (CheckComputeType(computeType, nameof(computeType)) is { } low && input.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32)
        {
            using var mixed = NewDisposeScope();
            // The bias is added in float32 after the product is widened: libtorch's bfloat16 linear rounds the product
            // and then the sum with the bias, up to one bfloat16 step off where this is half a step.
            var product = nn.functional.linear(input.to(low), weight.to(low)).to(ScalarType.Float32);
            if (bias is not null) product = bias.requires_grad && is_grad_enabled() ? product + bias : product.add_(bias);
            return product.MoveToOuterDisposeScope();
        }
        long rows = input.numel() / inFeatures;
        if (!UsesOneDnn(kernel, input, weight, bias, rows))
            return nn.functional.linear(input, weight, bias);

        using var scope = NewDisposeScope();
        // The conv batch n: up to 16 images of rows/n pixels each. libtorch picks oneDNN for a 1x1 convolution
        // with one thread only when the batch is at least 16, so take the largest power of two up to 16 dividing rows.
        long n = 16;
        while (rows % n != 0) n /= 2;
        var image = input.reshape(n, rows / n, 1, inFeatures).permute(0, 3, 1, 2);             // channels-last (n, in, rows/n, 1)
        var output = nn.functional.conv2d(image, weight.view(outFeatures, inFeatures, 1, 1), bias);  // channels-last (n, out, rows/n, 1)
        var shape = input.shape.ToArray();
        shape[^1] = outFeatures;
        return output.permute(0, 2, 3, 1).reshape(shape).MoveToOuterDisposeScope();           // (..., out)
    }

    private static bool UsesOneDnn(LinearKernel kernel, Tensor input, Tensor weight, Tensor? bias, long rows)
    {
        if (kernel == LinearKernel.Gemm || rows == 0) return false;
        if (input.dtype != ScalarType.Float32 || weight.dtype != ScalarType.Float32 || input.device_type != DeviceType.CPU) return false;
        if (kernel == LinearKernel.OneDnn) return true;
        if (Avx512F.IsSupported) return !CpuCapabilities.IsIntel && rows >= OneDnnMinRows;
        if (MklVendorCheck.Bypassed) return false;    // MKL's AVX2 kernels match or beat oneDNN at every size measured
        bool needsGradient = is_grad_enabled() && (input.requires_grad || weight.requires_grad || bias is { requires_grad: true });
        return !needsGradient && rows >= OneDnnMinRowsAvx2 && Avx2.IsSupported;
    }
}
