using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bert.Core.Optimization;

/// <summary>The per-step scalars of one <see cref="AdamWarmup"/> update, in the precision of the parameters (float32).</summary>
/// <param name="Beta1">b1.</param>
/// <param name="OneMinusBeta1">1 - b1.</param>
/// <param name="Beta2">b2.</param>
/// <param name="OneMinusBeta2">1 - b2.</param>
/// <param name="Epsilon">eps, added to sqrt(v).</param>
/// <param name="StepSize">lr_t = lr_s * sqrt(1 - b2^t) / (1 - b1^t).</param>
/// <param name="WeightDecay">wd for parameters that decay, 0 for the others.</param>
/// <param name="GradScale">The clipping factor applied to the gradient (1 without clipping).</param>
internal readonly record struct AdamWarmupCoefficients(
    float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float Epsilon, float StepSize, float WeightDecay, float GradScale);

/// <summary>
/// The fused AdamWarmup update over contiguous float32 memory: one pass that reads theta, g, m, v (and vhat) once and
/// writes theta, m, v (and vhat) once, instead of the eight or more full passes that separate tensor operations take.
/// SIMD through <see cref="Vector{T}"/>; the scalar tail uses the same operations in the same order.
/// </summary>
internal static class AdamWarmupKernel
{
    /// <summary>Applies one update in place. <paramref name="vMax"/> is empty unless AMSGrad is on.</summary>
    /// <remarks>Compiled fully optimised at once (no tier-0 code in the first training steps).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Update(Span<float> theta, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, Span<float> vMax,
        in AdamWarmupCoefficients c)
    {
        var n = theta.Length;
        if (grad.Length != n || m.Length != n || v.Length != n || (!vMax.IsEmpty && vMax.Length != n))
            throw new ArgumentException("The parameter, gradient and state spans must have the same length.");
        var amsgrad = !vMax.IsEmpty;
        var decay = c.WeightDecay != 0f;

        ref var p0 = ref MemoryMarshal.GetReference(theta);
        ref var g0 = ref MemoryMarshal.GetReference(grad);
        ref var m0 = ref MemoryMarshal.GetReference(m);
        ref var v0 = ref MemoryMarshal.GetReference(v);
        ref var h0 = ref MemoryMarshal.GetReference(vMax);

        var i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var b1 = new Vector<float>(c.Beta1);
            var ob1 = new Vector<float>(c.OneMinusBeta1);
            var b2 = new Vector<float>(c.Beta2);
            var ob2 = new Vector<float>(c.OneMinusBeta2);
            var eps = new Vector<float>(c.Epsilon);
            var step = new Vector<float>(c.StepSize);
            var wd = new Vector<float>(c.WeightDecay);
            var scale = new Vector<float>(c.GradScale);
            var last = n - Vector<float>.Count;
            for (; i <= last; i += Vector<float>.Count)
            {
                var k = (nuint)i;
                var g = Vector.LoadUnsafe(ref g0, k) * scale;
                var p = Vector.LoadUnsafe(ref p0, k);
                var mt = Vector.LoadUnsafe(ref m0, k) * b1 + g * ob1;
                var vt = Vector.LoadUnsafe(ref v0, k) * b2 + g * g * ob2;
                mt.StoreUnsafe(ref m0, k);
                vt.StoreUnsafe(ref v0, k);
                if (amsgrad)
                {
                    vt = Vector.Max(Vector.LoadUnsafe(ref h0, k), vt);
                    vt.StoreUnsafe(ref h0, k);
                }
                var u = mt / (Vector.SquareRoot(vt) + eps);
                if (decay)
                    u += p * wd;
                (p - u * step).StoreUnsafe(ref p0, k);
            }
        }
        for (; i < n; i++)
        {
            var g = Unsafe.Add(ref g0, i) * c.GradScale;
            var p = Unsafe.Add(ref p0, i);
            var mt = Unsafe.Add(ref m0, i) * c.Beta1 + g * c.OneMinusBeta1;
            var vt = Unsafe.Add(ref v0, i) * c.Beta2 + g * g * c.OneMinusBeta2;
            Unsafe.Add(ref m0, i) = mt;
            Unsafe.Add(ref v0, i) = vt;
            if (amsgrad)
            {
                vt = MathF.Max(Unsafe.Add(ref h0, i), vt);
                Unsafe.Add(ref h0, i) = vt;
            }
            var u = mt / (MathF.Sqrt(vt) + c.Epsilon);
            if (decay)
                u += p * c.WeightDecay;
            Unsafe.Add(ref p0, i) = p - u * c.StepSize;
        }
    }

    /// <summary>The elements covered by one flag of <see cref="UpdateBlocks"/>' <c>zeroState</c>.</summary>
    public const int ZeroStateBlock = 256;

    /// <summary>
    /// Applies one update in place, like <see cref="Update"/>, to memory split into blocks of
    /// <see cref="ZeroStateBlock"/> elements. <paramref name="zeroState"/> holds one flag per block, true when that
    /// block's m and v (and vhat) are all +0. A flagged block whose gradient is all zero (+0 or -0) keeps m, v and vhat
    /// at +0, so its update reduces to the weight decay <c>theta -= lr_t * (0 + wd * theta)</c>, which reads theta and g
    /// and writes theta only (nothing without decay): the same bits as <see cref="Update"/>, with 12 instead of 28
    /// bytes of memory traffic per element. Any other block gets the full update and its flag is cleared. In
    /// fine-tuning, the rows of the word embeddings that no batch has reached yet are such blocks: most of the
    /// vocabulary in a classification epoch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UpdateBlocks(Span<float> theta, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, Span<float> vMax,
        Span<bool> zeroState, in AdamWarmupCoefficients c)
    {
        var n = theta.Length;
        if (zeroState.Length != (n + ZeroStateBlock - 1) / ZeroStateBlock)
            throw new ArgumentException($"{n} elements need {(n + ZeroStateBlock - 1) / ZeroStateBlock} block flags, not {zeroState.Length}.");
        var runStart = -1;
        for (var b = 0; b < zeroState.Length; b++)
        {
            var start = b * ZeroStateBlock;
            var length = Math.Min(ZeroStateBlock, n - start);
            if (zeroState[b] && IsZero(grad.Slice(start, length)))
            {
                if (runStart >= 0)
                {
                    UpdateRange(theta, grad, m, v, vMax, runStart, start - runStart, c);
                    runStart = -1;
                }
                if (c.WeightDecay != 0f)
                    Decay(theta.Slice(start, length), c);
                continue;
            }
            zeroState[b] = false;
            if (runStart < 0)
                runStart = start;
        }
        if (runStart >= 0)
            UpdateRange(theta, grad, m, v, vMax, runStart, n - runStart, c);
    }

    /// <summary>True where every element of the span's blocks of <see cref="ZeroStateBlock"/> is +0 (the bits of zero).</summary>
    public static void FindZeroBlocks(ReadOnlySpan<float> values, Span<bool> zeroState)
    {
        for (var b = 0; b < zeroState.Length; b++)
        {
            var start = b * ZeroStateBlock;
            var block = MemoryMarshal.Cast<float, int>(values.Slice(start, Math.Min(ZeroStateBlock, values.Length - start)));
            zeroState[b] &= !block.ContainsAnyExcept(0);
        }
    }

    private static void UpdateRange(Span<float> theta, ReadOnlySpan<float> grad, Span<float> m, Span<float> v, Span<float> vMax,
        int start, int length, in AdamWarmupCoefficients c) =>
        Update(theta.Slice(start, length), grad.Slice(start, length), m.Slice(start, length), v.Slice(start, length),
            vMax.IsEmpty ? vMax : vMax.Slice(start, length), c);

    /// <summary>Whether every element is +0 or -0.</summary>
    private static bool IsZero(ReadOnlySpan<float> values)
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        ref var b0 = ref MemoryMarshal.GetReference(bits);
        var i = 0;
        var any = 0u;
        if (Vector.IsHardwareAccelerated && bits.Length >= Vector<uint>.Count)
        {
            var acc = Vector<uint>.Zero;
            var last = bits.Length - Vector<uint>.Count;
            for (; i <= last; i += Vector<uint>.Count)
                acc |= Vector.LoadUnsafe(ref b0, (nuint)i);
            for (var k = 0; k < Vector<uint>.Count; k++)
                any |= acc[k];
        }
        for (; i < bits.Length; i++)
            any |= Unsafe.Add(ref b0, i);
        return (any & 0x7FFF_FFFFu) == 0;
    }

    /// <summary>
    /// <see cref="Update"/> where g, m and v are zero: its u is <c>+0 / (sqrt(+0) + eps) = +0</c>, so theta becomes
    /// <c>theta - (+0 + theta * wd) * lr_t</c>, computed in that order (the +0 matters for theta = -0).
    /// </summary>
    private static void Decay(Span<float> theta, in AdamWarmupCoefficients c)
    {
        var n = theta.Length;
        ref var p0 = ref MemoryMarshal.GetReference(theta);
        var i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var step = new Vector<float>(c.StepSize);
            var wd = new Vector<float>(c.WeightDecay);
            var last = n - Vector<float>.Count;
            for (; i <= last; i += Vector<float>.Count)
            {
                var k = (nuint)i;
                var p = Vector.LoadUnsafe(ref p0, k);
                var u = Vector<float>.Zero + p * wd;
                (p - u * step).StoreUnsafe(ref p0, k);
            }
        }
        for (; i < n; i++)
        {
            var p = Unsafe.Add(ref p0, i);
            var u = 0f + p * c.WeightDecay;
            Unsafe.Add(ref p0, i) = p - u * c.StepSize;
        }
    }

    /// <summary>
    /// Like <see cref="UpdateBlocks"/> for <paramref name="theta"/>, the part of a parameter that starts at its flat
    /// element <paramref name="offset"/> (a multiple of <see cref="ZeroStateBlock"/>), with the gradient
    /// <paramref name="grad"/> given per row: each block gets the gradient the dense tensor would hold there, so the
    /// bits are those of <see cref="UpdateBlocks"/> on the dense gradient. Blocks no row reaches are zero without being
    /// read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void UpdateSparseBlocks(Span<float> theta, SparseRowGradient grad, long offset, Span<float> m, Span<float> v, Span<float> vMax,
        Span<bool> zeroState, in AdamWarmupCoefficients c)
    {
        var n = theta.Length;
        if (zeroState.Length != (n + ZeroStateBlock - 1) / ZeroStateBlock)
            throw new ArgumentException($"{n} elements need {(n + ZeroStateBlock - 1) / ZeroStateBlock} block flags, not {zeroState.Length}.");
        Span<float> gathered = stackalloc float[ZeroStateBlock];
        var cursor = 0;
        var runStart = -1;                                // a run of blocks that get the full update with a zero gradient
        for (var b = 0; b < zeroState.Length; b++)
        {
            var start = b * ZeroStateBlock;
            var length = Math.Min(ZeroStateBlock, n - start);
            var block = gathered[..length];
            var touched = grad.Gather(offset + start, block, ref cursor);
            if (zeroState[b] && (!touched || IsZero(block)))
            {
                FlushZeroRun(theta, m, v, vMax, ref runStart, start, c);
                if (c.WeightDecay != 0f)
                    Decay(theta.Slice(start, length), c);
                continue;
            }
            zeroState[b] = false;
            if (!touched)
            {
                if (runStart < 0) runStart = start;
                if (start + length - runStart >= ZeroGradient.Length)
                    FlushZeroRun(theta, m, v, vMax, ref runStart, start + length, c);
                continue;
            }
            FlushZeroRun(theta, m, v, vMax, ref runStart, start, c);
            Update(theta.Slice(start, length), block, m.Slice(start, length), v.Slice(start, length),
                vMax.IsEmpty ? vMax : vMax.Slice(start, length), c);
        }
        FlushZeroRun(theta, m, v, vMax, ref runStart, n, c);
    }

    /// <summary>The gradient of the blocks no row of a sparse gradient reaches.</summary>
    private static readonly float[] ZeroGradient = new float[1 << 16];

    private static void FlushZeroRun(Span<float> theta, Span<float> m, Span<float> v, Span<float> vMax, ref int runStart, int end,
        in AdamWarmupCoefficients c)
    {
        if (runStart < 0) return;
        var length = end - runStart;
        Update(theta.Slice(runStart, length), ZeroGradient.AsSpan(0, length), m.Slice(runStart, length), v.Slice(runStart, length),
            vMax.IsEmpty ? vMax : vMax.Slice(runStart, length), c);
        runStart = -1;
    }

    /// <summary>
    /// The sum of squares of <paramref name="values"/>: per block of <see cref="ZeroStateBlock"/> elements in float32
    /// lanes, then in double across blocks, so that a sparse gradient (<see cref="SumOfSquares(SparseRowGradient, long, int)"/>)
    /// gives the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SumOfSquares(ReadOnlySpan<float> values)
    {
        double total = 0;
        for (var start = 0; start < values.Length; start += ZeroStateBlock)
            total += BlockSumOfSquares(values.Slice(start, Math.Min(ZeroStateBlock, values.Length - start)));
        return total;
    }

    /// <summary>
    /// <see cref="SumOfSquares(ReadOnlySpan{float})"/> of the dense form of <paramref name="grad"/> over the flat elements
    /// <c>[offset, offset + length)</c> (offset a multiple of <see cref="ZeroStateBlock"/>), reading only the rows it has.
    /// </summary>
    public static double SumOfSquares(SparseRowGradient grad, long offset, int length)
    {
        Span<float> gathered = stackalloc float[ZeroStateBlock];
        var cursor = 0;
        double total = 0;
        for (var start = 0; start < length; start += ZeroStateBlock)
        {
            var block = gathered[..Math.Min(ZeroStateBlock, length - start)];
            if (grad.Gather(offset + start, block, ref cursor))
                total += BlockSumOfSquares(block);        // a block of zeros adds exactly 0
        }
        return total;
    }

    private static double BlockSumOfSquares(ReadOnlySpan<float> values)
    {
        double total = 0;
        ref var x0 = ref MemoryMarshal.GetReference(values);
        var n = values.Length;
        var i = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<float>.Count)
        {
            var acc = Vector<float>.Zero;
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var x = Vector.LoadUnsafe(ref x0, (nuint)i);
                acc += x * x;
            }
            total = Vector.Sum(acc);
        }
        for (; i < n; i++)
        {
            var x = Unsafe.Add(ref x0, i);
            total += x * x;
        }
        return total;
    }
}
