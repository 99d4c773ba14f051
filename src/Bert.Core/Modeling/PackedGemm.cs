using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static TorchSharp.torch;

namespace Bert.Core.Modeling;

/// <summary>
/// <c>y = x W^T + b</c> for inference on few rows, on weights packed once (<see cref="PackedLinearWeights"/>), with
/// AVX2 and FMA: for each panel of 16 output features, 6 rows at a time accumulate in 12 registers (one broadcast row
/// value times two 8-wide weight vectors per input feature), starting from the bias and stored once. The panels are
/// split over the calling thread's libtorch (OpenMP) threads (<see cref="ProductThreads"/>).
/// </summary>
/// <remarks>
/// Why: libtorch's MKL product repacks the weight on every call and, at the row counts of one sentence or one short
/// batch, splits the work over its OpenMP threads poorly. Measured on a 2-core Zen 3 (AVX2) against
/// <c>torch.nn.functional.linear</c> with MKL's AVX2 kernels, products alone, in one process, alternating: 384→384 on 18 rows (one
/// KNBC sentence) 78 against 53 GFLOP/s on one thread and 155 against 68 on two; on 128 rows (one 128-token sequence)
/// 74 against 74 on one thread and 145-152 against 117-135 on two; on 2048 rows (a batch of 16) MKL is faster (141
/// against 160 on two threads), so <see cref="BertLinear"/> uses this only up to <see cref="BertLinear.PackedMaxRows"/>.
/// Results are float32-accurate but not bit-identical to MKL's (another summation order).
/// </remarks>
internal static unsafe class PackedGemm
{
    /// <summary>Output features per panel: two AVX2 vectors.</summary>
    public const int PanelWidth = 16;

    /// <summary>Rows per register block.</summary>
    private const int RowBlock = 6;

    /// <summary>Whether this processor runs the kernels (AVX2 and FMA).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>
    /// <paramref name="input"/> (..., in), contiguous float32, times the packed weight, plus <paramref name="bias"/>
    /// (out, contiguous float32, or null), into a new (..., out) tensor, on up to <paramref name="threads"/> threads.
    /// </summary>
    public static Tensor Multiply(Tensor input, PackedLinearWeights weight, Tensor? bias, int threads)
    {
        int rows = checked((int)(input.numel() / weight.InFeatures));
        var shape = new long[input.dim()];    // size by size: Tensor.shape costs about a microsecond
        for (int d = 0; d < shape.Length - 1; d++) shape[d] = input.size(d);
        shape[^1] = weight.OutFeatures;
        var output = empty(shape, ScalarType.Float32);
        if (rows == 0) return output;
        var job = new Job(
            (float*)PackedLinearWeights.Address(input), rows, weight,
            bias is null ? null : (float*)PackedLinearWeights.Address(bias),
            (float*)PackedLinearWeights.Address(output));
        int panels = weight.OutFeatures / PanelWidth;
        ProductThreads.Run(Math.Clamp(threads, 1, panels), job);
        GC.KeepAlive(input);
        GC.KeepAlive(bias);
        GC.KeepAlive(weight);
        return output;
    }

    private sealed class Job(float* x, int rows, PackedLinearWeights weight, float* bias, float* y) : ProductThreads.IJob
    {
        public void Run(int part, int parts)
        {
            int panels = weight.OutFeatures / PanelWidth;
            int first = (int)((long)panels * part / parts), last = (int)((long)panels * (part + 1) / parts);
            Panels(x, rows, weight.Data, weight.InFeatures, weight.OutFeatures, bias, y, first, last);
        }
    }

    /// <summary>Output panels [<paramref name="first"/>, <paramref name="last"/>) for all rows.</summary>
    private static void Panels(float* x, int rows, float* packed, int k, int n, float* bias, float* y, int first, int last)
    {
        float* zero = stackalloc float[PanelWidth];
        for (int p = first; p < last; p++)
        {
            float* panel = packed + (long)p * k * PanelWidth;
            float* b = bias != null ? bias + p * PanelWidth : zero;
            float* column = y + p * PanelWidth;
            int r = 0;
            for (; r + RowBlock <= rows; r += RowBlock)
                Rows6(x + (long)r * k, k, panel, b, column + (long)r * n, n);
            for (; r < rows; r++)
                Row1(x + (long)r * k, k, panel, b, column + (long)r * n);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows6(float* x, int k, float* w, float* bias, float* y, int n)
    {
        var c00 = Avx.LoadVector256(bias);
        var c01 = Avx.LoadVector256(bias + 8);
        Vector256<float> c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01, c40 = c00, c41 = c01, c50 = c00, c51 = c01;
        float* x0 = x, x1 = x + k, x2 = x1 + k, x3 = x2 + k, x4 = x3 + k, x5 = x4 + k;
        for (int i = 0; i < k; i++, w += PanelWidth)
        {
            var w0 = Avx.LoadAlignedVector256(w);
            var w1 = Avx.LoadAlignedVector256(w + 8);
            var a = Avx.BroadcastScalarToVector256(x0 + i);
            c00 = Fma.MultiplyAdd(a, w0, c00); c01 = Fma.MultiplyAdd(a, w1, c01);
            a = Avx.BroadcastScalarToVector256(x1 + i);
            c10 = Fma.MultiplyAdd(a, w0, c10); c11 = Fma.MultiplyAdd(a, w1, c11);
            a = Avx.BroadcastScalarToVector256(x2 + i);
            c20 = Fma.MultiplyAdd(a, w0, c20); c21 = Fma.MultiplyAdd(a, w1, c21);
            a = Avx.BroadcastScalarToVector256(x3 + i);
            c30 = Fma.MultiplyAdd(a, w0, c30); c31 = Fma.MultiplyAdd(a, w1, c31);
            a = Avx.BroadcastScalarToVector256(x4 + i);
            c40 = Fma.MultiplyAdd(a, w0, c40); c41 = Fma.MultiplyAdd(a, w1, c41);
            a = Avx.BroadcastScalarToVector256(x5 + i);
            c50 = Fma.MultiplyAdd(a, w0, c50); c51 = Fma.MultiplyAdd(a, w1, c51);
        }
        Avx.Store(y, c00); Avx.Store(y + 8, c01); y += n;
        Avx.Store(y, c10); Avx.Store(y + 8, c11); y += n;
        Avx.Store(y, c20); Avx.Store(y + 8, c21); y += n;
        Avx.Store(y, c30); Avx.Store(y + 8, c31); y += n;
        Avx.Store(y, c40); Avx.Store(y + 8, c41); y += n;
        Avx.Store(y, c50); Avx.Store(y + 8, c51);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row1(float* x, int k, float* w, float* bias, float* y)
    {
        var c0 = Avx.LoadVector256(bias);
        var c1 = Avx.LoadVector256(bias + 8);
        // Two accumulator pairs over even and odd input features: one pair would wait on the FMA latency.
        Vector256<float> d0 = Vector256<float>.Zero, d1 = Vector256<float>.Zero;
        int i = 0;
        for (; i + 2 <= k; i += 2, w += 2 * PanelWidth)
        {
            var a = Avx.BroadcastScalarToVector256(x + i);
            c0 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w), c0);
            c1 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w + 8), c1);
            a = Avx.BroadcastScalarToVector256(x + i + 1);
            d0 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w + PanelWidth), d0);
            d1 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w + PanelWidth + 8), d1);
        }
        if (i < k)
        {
            var a = Avx.BroadcastScalarToVector256(x + i);
            c0 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w), c0);
            c1 = Fma.MultiplyAdd(a, Avx.LoadAlignedVector256(w + 8), c1);
        }
        Avx.Store(y, Avx.Add(c0, d0));
        Avx.Store(y + 8, Avx.Add(c1, d1));
    }
}
