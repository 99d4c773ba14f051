using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Modeling;

/// <summary>
/// Self-attention for inference with AVX-512 or AVX2, softmax(Q Kᵀ / √d + mask) V, straight from the query, key and
/// value products as they come out (B, T, H) into the context in the same layout, so no head is transposed and copied
/// around the operation. The (batch, head) pairs are claimed by the calling thread's libtorch threads
/// (<see cref="ProductThreads"/>); each lays its head's keys out in panels of 16 (AVX2: 8; key-major per feature), then
/// takes the queries 8 at a time (AVX2: 6): scores for every key, the softmax in two passes (the largest score, then the
/// exponentials and their sum), and the sum of the value rows weighted by the exponentials, divided by that sum at the end.
/// </summary>
/// <remarks>
/// Why: at one sentence, libtorch's flash attention multiplies blocks of 32 queries by MKL calls too small to pay for
/// their setup, and the context then has to be transposed back into (B, T, H). Measured on a 2-core Intel Xeon (family 6,
/// model 207), attention alone at MiniLM's shape (12 heads of 32, one 128-token sequence): 0.225-0.246 against
/// 0.384-0.433 ms on two threads and 0.41-0.46 against 0.45-0.67 on one, for libtorch's with the heads split out of
/// and back into (B, T, H); whole forward passes alternating with and without it in one process: MiniLM at one
/// 128-token sequence +2.2, +0.9 and +2.2% on two threads and +4.5% on one, over the KNBC length mix (batch 16, one
/// thread, as the inference streams run) +2.8%; the small BERT on one 24-token sentence +5.8%, at 16 × 128 +2.7%;
/// BERT-base at one 128-token sequence +0.8%. Its exponentials are about a third of its time. The AVX2 kernels, on the
/// same Xeon with AVX-512 turned off for .NET and libtorch (<c>DOTNET_EnableAVX512F=0</c>, <c>ATEN_CPU_CAPABILITY=avx2</c>,
/// <c>MKL_ENABLE_INSTRUCTIONS=AVX2</c>, <c>ONEDNN_MAX_CPU_ISA=AVX2</c>; not yet on an AVX2-only processor), whole forward
/// passes alternating: MiniLM at one 128-token sequence +2.4 and +5.2% on two threads and +2.3% on one; the small BERT on
/// one 24-token sentence +3.1% on two threads and +6.2% on one, over the KNBC length mix (batch 16, one thread) +0.7%.
/// A row's result depends only on its own sequence: padded keys (a mask of float32's minimum) get weights of exactly 0,
/// so a sentence gives the same bits alone and padded in a batch. Results are float32-accurate, not bit-identical to
/// libtorch's (another summation order).
/// </remarks>
internal static unsafe class PackedAttention
{
    /// <summary>Keys per panel, values per register: one AVX-512 vector. Keys are padded to a multiple of this.</summary>
    private const int Lanes = 16;

    /// <summary>Queries per block: 8 broadcasts and 16 accumulators per pair of key (or value) panels.</summary>
    private const int QueryBlock = 8;

    /// <summary>Keys per panel and values per register with AVX2: one AVX2 vector (two panels make <see cref="Lanes"/>).</summary>
    private const int NarrowLanes = 8;

    /// <summary>Queries per block with AVX2: 6 broadcasts and 12 accumulators per pair of panels (16 registers in all).</summary>
    private const int NarrowQueryBlock = 6;

    /// <summary>
    /// Whether <see cref="Run"/> takes these: AVX2 and FMA, float32 CPU tensors (B, T, H) in contiguous memory, a head size
    /// that is a multiple of 16, no gradient needed, and no mask or a contiguous float32 (B, 1, 1, T) one.
    /// </summary>
    public static bool Accepts(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads)
    {
        if (!PackedGemm.IsSupported || q.dim() != 3) return false;
        long batch = q.size(0), length = q.size(1), hidden = q.size(2);
        if (heads <= 0 || hidden % heads != 0 || hidden / heads % Lanes != 0 || length == 0 || batch == 0) return false;
        if (length > 4096 || hidden > int.MaxValue / 4096) return false;    // the scratch sizes below stay small
        bool Fits(Tensor t) =>
            t.dtype == ScalarType.Float32 && t.device_type == DeviceType.CPU && t.dim() == 3 && t.size(0) == batch
            && t.size(1) == length && t.size(2) == hidden && t.is_contiguous();
        if (!Fits(q) || !Fits(k) || !Fits(v)) return false;
        if (is_grad_enabled() && (q.requires_grad || k.requires_grad || v.requires_grad)) return false;
        return mask is null
            || (mask.dtype == ScalarType.Float32 && mask.device_type == DeviceType.CPU && mask.dim() == 4 && mask.size(0) == batch
                && mask.size(1) == 1 && mask.size(2) == 1 && mask.size(3) == length && mask.is_contiguous()
                && !(is_grad_enabled() && mask.requires_grad));
    }

    /// <summary>
    /// The context (B, T, H) of inputs <see cref="Accepts"/> took, on up to <paramref name="threads"/> threads: with the
    /// AVX-512 kernels where <see cref="PackedGemm.UseAvx512"/>, else the AVX2 ones.
    /// </summary>
    public static Tensor Run(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads, int threads)
    {
        int batch = checked((int)q.size(0)), length = checked((int)q.size(1)), hidden = checked((int)q.size(2));
        var context = empty(new long[] { batch, length, hidden }, ScalarType.Float32);
        var job = new Job(
            (float*)PackedLinearWeights.Address(q), (float*)PackedLinearWeights.Address(k), (float*)PackedLinearWeights.Address(v),
            mask is null ? null : (float*)PackedLinearWeights.Address(mask), (float*)PackedLinearWeights.Address(context),
            batch, length, hidden, heads, PackedGemm.UseAvx512);
        ProductThreads.Run(Math.Clamp(threads, 1, batch * heads), job);
        GC.KeepAlive(q);
        GC.KeepAlive(k);
        GC.KeepAlive(v);
        GC.KeepAlive(mask);
        return context;
    }

    private sealed class Job(float* q, float* k, float* v, float* mask, float* context, int batch, int length, int hidden, int heads, bool wide)
        : ProductThreads.IJob
    {
        private int claimed = -1;

        public void Run(int part, int parts)
        {
            int size = hidden / heads, padded = (length + Lanes - 1) / Lanes * Lanes;
            float* keys = null;
            for (int task; (task = Interlocked.Increment(ref claimed)) < batch * heads;)
            {
                // Each thread's scratch: the head's keys in panels, then the scores of one block of queries.
                if (keys == null) keys = RowBlocks.Get((long)padded * size + QueryBlock * padded);
                int b = task / heads, h = task % heads;
                long first = (long)b * length * hidden + h * size;    // row 0 of this head in q, k, v and the context
                Head(q + first, k + first, v + first, mask == null ? null : mask + (long)b * length, context + first,
                    length, padded, hidden, size, keys, keys + (long)padded * size, wide);
            }
            RowBlocks.Release();
        }
    }

    /// <summary>
    /// One head of one sequence: rows of <paramref name="size"/> values <paramref name="stride"/> apart; with the AVX-512
    /// kernels where <paramref name="wide"/>, else the AVX2 ones.
    /// </summary>
    private static void Head(float* q, float* k, float* v, float* mask, float* o, int length, int padded, int stride, int size, float* keys, float* scores, bool wide)
    {
        // Keys in panels of 16 (AVX2: 8): panel p, feature d, lane j holds feature d of key 16 p + j (0 past the last key).
        int lanes = wide ? Lanes : NarrowLanes, block = wide ? QueryBlock : NarrowQueryBlock;
        var offsets = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * Vector256.Create(stride);
        for (int j = 0; j < padded; j += NarrowLanes)
        {
            float* panel = keys + (long)(j / lanes) * size * lanes + j % lanes;
            float* row = k + (long)j * stride;
            if (j + NarrowLanes <= length)
                for (int d = 0; d < size; d++)
                    Avx2.GatherVector256(row + d, offsets, 4).Store(panel + d * lanes);
            else
                for (int d = 0; d < size; d++)
                    for (int lane = 0; lane < NarrowLanes; lane++)
                        panel[d * lanes + lane] = j + lane < length ? row[(long)lane * stride + d] : 0f;
        }
        float scale = 1f / MathF.Sqrt(size);
        float** qs = stackalloc float*[QueryBlock];
        float** os = stackalloc float*[QueryBlock];
        float* scratch = stackalloc float[size];
        float* sums = stackalloc float[QueryBlock];
        for (int i = 0; i < length; i += block)
        {
            for (int r = 0; r < block; r++)    // a block past the last query repeats it into scratch
            {
                qs[r] = q + (long)Math.Min(i + r, length - 1) * stride;
                os[r] = i + r < length ? o + (long)(i + r) * stride : scratch;
            }
            if (wide)
            {
                Scores(qs, keys, size, padded, scale, mask, length, scores);
                for (int r = 0; r < block; r++) sums[r] = Exponentials(scores + (long)r * padded, padded);
                for (int p = 0; p < size; p += 2 * Lanes)
                {
                    if (p + 2 * Lanes <= size) WeightedValues2(scores, padded, v + p, stride, length, os, p, sums);
                    else WeightedValues1(scores, padded, v + p, stride, length, os, p, sums);
                }
                continue;
            }
            NarrowScores(qs, keys, size, padded, scale, mask, length, scores);
            for (int r = 0; r < block; r++) sums[r] = NarrowExponentials(scores + (long)r * padded, padded);
            for (int p = 0; p < size; p += 2 * NarrowLanes)    // the head size is a multiple of 16
                NarrowWeightedValues(scores, padded, v + p, stride, length, os, p, sums);
        }
    }

    /// <summary>
    /// Scores of 8 queries against every key, scaled, plus the mask, in rows of <paramref name="padded"/> (keys past the
    /// last get −∞): two panels of keys at a time in 16 registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores(float** qs, float* keys, int size, int padded, float scale, float* mask, int length, float* scores)
    {
        float* q0 = qs[0], q1 = qs[1], q2 = qs[2], q3 = qs[3], q4 = qs[4], q5 = qs[5], q6 = qs[6], q7 = qs[7];
        var factor = Vector512.Create(scale);
        int panels = padded / Lanes;
        for (int p = 0; p < panels; p += 2)
        {
            bool two = p + 1 < panels;
            float* w = keys + (long)p * size * Lanes;
            float* u = two ? w + (long)size * Lanes : w;    // one panel left: the second sums repeat it
            Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
            Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
            for (int d = 0; d < size; d++, w += Lanes, u += Lanes)
            {
                var w0 = Avx512F.LoadAlignedVector512(w);
                var w1 = Avx512F.LoadAlignedVector512(u);
                var a = Vector512.Create(q0[d]);
                c00 = Avx512F.FusedMultiplyAdd(a, w0, c00); c01 = Avx512F.FusedMultiplyAdd(a, w1, c01);
                a = Vector512.Create(q1[d]);
                c10 = Avx512F.FusedMultiplyAdd(a, w0, c10); c11 = Avx512F.FusedMultiplyAdd(a, w1, c11);
                a = Vector512.Create(q2[d]);
                c20 = Avx512F.FusedMultiplyAdd(a, w0, c20); c21 = Avx512F.FusedMultiplyAdd(a, w1, c21);
                a = Vector512.Create(q3[d]);
                c30 = Avx512F.FusedMultiplyAdd(a, w0, c30); c31 = Avx512F.FusedMultiplyAdd(a, w1, c31);
                a = Vector512.Create(q4[d]);
                c40 = Avx512F.FusedMultiplyAdd(a, w0, c40); c41 = Avx512F.FusedMultiplyAdd(a, w1, c41);
                a = Vector512.Create(q5[d]);
                c50 = Avx512F.FusedMultiplyAdd(a, w0, c50); c51 = Avx512F.FusedMultiplyAdd(a, w1, c51);
                a = Vector512.Create(q6[d]);
                c60 = Avx512F.FusedMultiplyAdd(a, w0, c60); c61 = Avx512F.FusedMultiplyAdd(a, w1, c61);
                a = Vector512.Create(q7[d]);
                c70 = Avx512F.FusedMultiplyAdd(a, w0, c70); c71 = Avx512F.FusedMultiplyAdd(a, w1, c71);
            }
            int j = p * Lanes;
            Store(scores + j, c00 * factor, mask, j, length);
            Store(scores + padded + j, c10 * factor, mask, j, length);
            Store(scores + 2L * padded + j, c20 * factor, mask, j, length);
            Store(scores + 3L * padded + j, c30 * factor, mask, j, length);
            Store(scores + 4L * padded + j, c40 * factor, mask, j, length);
            Store(scores + 5L * padded + j, c50 * factor, mask, j, length);
            Store(scores + 6L * padded + j, c60 * factor, mask, j, length);
            Store(scores + 7L * padded + j, c70 * factor, mask, j, length);
            if (!two) continue;
            j += Lanes;
            Store(scores + j, c01 * factor, mask, j, length);
            Store(scores + padded + j, c11 * factor, mask, j, length);
            Store(scores + 2L * padded + j, c21 * factor, mask, j, length);
            Store(scores + 3L * padded + j, c31 * factor, mask, j, length);
            Store(scores + 4L * padded + j, c41 * factor, mask, j, length);
            Store(scores + 5L * padded + j, c51 * factor, mask, j, length);
            Store(scores + 6L * padded + j, c61 * factor, mask, j, length);
            Store(scores + 7L * padded + j, c71 * factor, mask, j, length);
        }
    }

    /// <summary>Scores of keys <paramref name="j"/> to <paramref name="j"/> + 15 plus the mask; −∞ past the last key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* to, Vector512<float> s, float* mask, int j, int length)
    {
        if (j + Lanes <= length)
        {
            if (mask != null) s += Avx512F.LoadVector512(mask + j);
            s.Store(to);
            return;
        }
        for (int lane = 0; lane < Lanes; lane++)
            to[lane] = j + lane < length ? s.GetElement(lane) + (mask != null ? mask[j + lane] : 0f) : float.NegativeInfinity;
    }

    /// <summary>e^(s − max) in place over one row of scores; returns their sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Exponentials(float* s, int padded)
    {
        var largest = Vector512.Create(float.NegativeInfinity);
        for (int j = 0; j < padded; j += Lanes) largest = Vector512.Max(largest, Avx512F.LoadVector512(s + j));
        var max = Vector512.Create(Max(largest));
        var sum = Vector512<float>.Zero;
        for (int j = 0; j < padded; j += Lanes)
        {
            var e = VectorGelu.Exp(Avx512F.LoadVector512(s + j) - max);
            e.Store(s + j);
            sum += e;
        }
        return Vector512.Sum(sum);
    }

    private static float Max(Vector512<float> v)
    {
        var m = Vector256.Max(v.GetLower(), v.GetUpper());
        var n = Vector128.Max(m.GetLower(), m.GetUpper());
        float a = MathF.Max(n.GetElement(0), n.GetElement(1)), b = MathF.Max(n.GetElement(2), n.GetElement(3));
        return MathF.Max(a, b);
    }

    /// <summary>
    /// Context values <paramref name="p"/> to <paramref name="p"/> + 31 of 8 queries: the value rows weighted by the
    /// exponentials in <paramref name="e"/>, divided by their sums, in 16 registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedValues2(float* e, int padded, float* v, int stride, int length, float** os, int p, float* sums)
    {
        float* e0 = e, e1 = e + padded, e2 = e1 + padded, e3 = e2 + padded, e4 = e3 + padded, e5 = e4 + padded, e6 = e5 + padded, e7 = e6 + padded;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int j = 0; j < length; j++, v += stride)
        {
            var w0 = Avx512F.LoadVector512(v);
            var w1 = Avx512F.LoadVector512(v + Lanes);
            var a = Vector512.Create(e0[j]);
            c00 = Avx512F.FusedMultiplyAdd(a, w0, c00); c01 = Avx512F.FusedMultiplyAdd(a, w1, c01);
            a = Vector512.Create(e1[j]);
            c10 = Avx512F.FusedMultiplyAdd(a, w0, c10); c11 = Avx512F.FusedMultiplyAdd(a, w1, c11);
            a = Vector512.Create(e2[j]);
            c20 = Avx512F.FusedMultiplyAdd(a, w0, c20); c21 = Avx512F.FusedMultiplyAdd(a, w1, c21);
            a = Vector512.Create(e3[j]);
            c30 = Avx512F.FusedMultiplyAdd(a, w0, c30); c31 = Avx512F.FusedMultiplyAdd(a, w1, c31);
            a = Vector512.Create(e4[j]);
            c40 = Avx512F.FusedMultiplyAdd(a, w0, c40); c41 = Avx512F.FusedMultiplyAdd(a, w1, c41);
            a = Vector512.Create(e5[j]);
            c50 = Avx512F.FusedMultiplyAdd(a, w0, c50); c51 = Avx512F.FusedMultiplyAdd(a, w1, c51);
            a = Vector512.Create(e6[j]);
            c60 = Avx512F.FusedMultiplyAdd(a, w0, c60); c61 = Avx512F.FusedMultiplyAdd(a, w1, c61);
            a = Vector512.Create(e7[j]);
            c70 = Avx512F.FusedMultiplyAdd(a, w0, c70); c71 = Avx512F.FusedMultiplyAdd(a, w1, c71);
        }
        Put(os[0] + p, c00, c01, sums[0]); Put(os[1] + p, c10, c11, sums[1]);
        Put(os[2] + p, c20, c21, sums[2]); Put(os[3] + p, c30, c31, sums[3]);
        Put(os[4] + p, c40, c41, sums[4]); Put(os[5] + p, c50, c51, sums[5]);
        Put(os[6] + p, c60, c61, sums[6]); Put(os[7] + p, c70, c71, sums[7]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put(float* o, Vector512<float> first, Vector512<float> second, float sum)
    {
        var f = Vector512.Create(1f / sum);
        (first * f).Store(o);
        (second * f).Store(o + Lanes);
    }

    /// <summary>As <see cref="WeightedValues2"/> for the last 16 values of a head whose size 32 does not divide.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedValues1(float* e, int padded, float* v, int stride, int length, float** os, int p, float* sums)
    {
        for (int r = 0; r < QueryBlock; r += 4)
        {
            float* e0 = e + (long)r * padded, e1 = e0 + padded, e2 = e1 + padded, e3 = e2 + padded;
            Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
            float* w = v;
            for (int j = 0; j < length; j++, w += stride)
            {
                var x = Avx512F.LoadVector512(w);
                c0 = Avx512F.FusedMultiplyAdd(Vector512.Create(e0[j]), x, c0);
                c1 = Avx512F.FusedMultiplyAdd(Vector512.Create(e1[j]), x, c1);
                c2 = Avx512F.FusedMultiplyAdd(Vector512.Create(e2[j]), x, c2);
                c3 = Avx512F.FusedMultiplyAdd(Vector512.Create(e3[j]), x, c3);
            }
            (c0 * Vector512.Create(1f / sums[r])).Store(os[r] + p);
            (c1 * Vector512.Create(1f / sums[r + 1])).Store(os[r + 1] + p);
            (c2 * Vector512.Create(1f / sums[r + 2])).Store(os[r + 2] + p);
            (c3 * Vector512.Create(1f / sums[r + 3])).Store(os[r + 3] + p);
        }
    }

    /// <summary>
    /// <see cref="Scores"/> with AVX2: 6 queries against two panels of 8 keys at a time in 12 registers (the key count is
    /// padded to 16, so the panels come in pairs).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowScores(float** qs, float* keys, int size, int padded, float scale, float* mask, int length, float* scores)
    {
        float* q0 = qs[0], q1 = qs[1], q2 = qs[2], q3 = qs[3], q4 = qs[4], q5 = qs[5];
        var factor = Vector256.Create(scale);
        for (int j = 0; j < padded; j += 2 * NarrowLanes)
        {
            float* w = keys + (long)j * size;
            float* u = w + (long)size * NarrowLanes;
            Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
            Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
            for (int d = 0; d < size; d++, w += NarrowLanes, u += NarrowLanes)
            {
                var w0 = Avx.LoadAlignedVector256(w);
                var w1 = Avx.LoadAlignedVector256(u);
                var a = Avx.BroadcastScalarToVector256(q0 + d);
                c00 = Fma.MultiplyAdd(a, w0, c00); c01 = Fma.MultiplyAdd(a, w1, c01);
                a = Avx.BroadcastScalarToVector256(q1 + d);
                c10 = Fma.MultiplyAdd(a, w0, c10); c11 = Fma.MultiplyAdd(a, w1, c11);
                a = Avx.BroadcastScalarToVector256(q2 + d);
                c20 = Fma.MultiplyAdd(a, w0, c20); c21 = Fma.MultiplyAdd(a, w1, c21);
                a = Avx.BroadcastScalarToVector256(q3 + d);
                c30 = Fma.MultiplyAdd(a, w0, c30); c31 = Fma.MultiplyAdd(a, w1, c31);
                a = Avx.BroadcastScalarToVector256(q4 + d);
                c40 = Fma.MultiplyAdd(a, w0, c40); c41 = Fma.MultiplyAdd(a, w1, c41);
                a = Avx.BroadcastScalarToVector256(q5 + d);
                c50 = Fma.MultiplyAdd(a, w0, c50); c51 = Fma.MultiplyAdd(a, w1, c51);
            }
            NarrowStore(scores + j, c00 * factor, c01 * factor, mask, j, length);
            NarrowStore(scores + padded + j, c10 * factor, c11 * factor, mask, j, length);
            NarrowStore(scores + 2L * padded + j, c20 * factor, c21 * factor, mask, j, length);
            NarrowStore(scores + 3L * padded + j, c30 * factor, c31 * factor, mask, j, length);
            NarrowStore(scores + 4L * padded + j, c40 * factor, c41 * factor, mask, j, length);
            NarrowStore(scores + 5L * padded + j, c50 * factor, c51 * factor, mask, j, length);
        }
    }

    /// <summary>Scores of keys <paramref name="j"/> to <paramref name="j"/> + 15 (two vectors) plus the mask; −∞ past the last key.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NarrowStore(float* to, Vector256<float> first, Vector256<float> second, float* mask, int j, int length)
    {
        if (j + 2 * NarrowLanes <= length)
        {
            if (mask != null)
            {
                first += Avx.LoadVector256(mask + j);
                second += Avx.LoadVector256(mask + j + NarrowLanes);
            }
            first.Store(to);
            second.Store(to + NarrowLanes);
            return;
        }
        for (int lane = 0; lane < 2 * NarrowLanes; lane++)
        {
            float s = lane < NarrowLanes ? first.GetElement(lane) : second.GetElement(lane - NarrowLanes);
            to[lane] = j + lane < length ? s + (mask != null ? mask[j + lane] : 0f) : float.NegativeInfinity;
        }
    }

    /// <summary><see cref="Exponentials"/> with AVX2: e^(s − max) in place over one row of scores; returns their sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float NarrowExponentials(float* s, int padded)
    {
        var largest = Vector256.Create(float.NegativeInfinity);
        for (int j = 0; j < padded; j += NarrowLanes) largest = Vector256.Max(largest, Avx.LoadVector256(s + j));
        var half = Vector128.Max(largest.GetLower(), largest.GetUpper());
        var max = Vector256.Create(MathF.Max(MathF.Max(half.GetElement(0), half.GetElement(1)), MathF.Max(half.GetElement(2), half.GetElement(3))));
        var sum = Vector256<float>.Zero;
        for (int j = 0; j < padded; j += NarrowLanes)
        {
            var e = VectorGelu.Exp(Avx.LoadVector256(s + j) - max);
            e.Store(s + j);
            sum += e;
        }
        return Vector256.Sum(sum);
    }

    /// <summary>
    /// <see cref="WeightedValues2"/> with AVX2: context values <paramref name="p"/> to <paramref name="p"/> + 15 of 6
    /// queries in 12 registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowWeightedValues(float* e, int padded, float* v, int stride, int length, float** os, int p, float* sums)
    {
        float* e0 = e, e1 = e + padded, e2 = e1 + padded, e3 = e2 + padded, e4 = e3 + padded, e5 = e4 + padded;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int j = 0; j < length; j++, v += stride)
        {
            var w0 = Avx.LoadVector256(v);
            var w1 = Avx.LoadVector256(v + NarrowLanes);
            var a = Avx.BroadcastScalarToVector256(e0 + j);
            c00 = Fma.MultiplyAdd(a, w0, c00); c01 = Fma.MultiplyAdd(a, w1, c01);
            a = Avx.BroadcastScalarToVector256(e1 + j);
            c10 = Fma.MultiplyAdd(a, w0, c10); c11 = Fma.MultiplyAdd(a, w1, c11);
            a = Avx.BroadcastScalarToVector256(e2 + j);
            c20 = Fma.MultiplyAdd(a, w0, c20); c21 = Fma.MultiplyAdd(a, w1, c21);
            a = Avx.BroadcastScalarToVector256(e3 + j);
            c30 = Fma.MultiplyAdd(a, w0, c30); c31 = Fma.MultiplyAdd(a, w1, c31);
            a = Avx.BroadcastScalarToVector256(e4 + j);
            c40 = Fma.MultiplyAdd(a, w0, c40); c41 = Fma.MultiplyAdd(a, w1, c41);
            a = Avx.BroadcastScalarToVector256(e5 + j);
            c50 = Fma.MultiplyAdd(a, w0, c50); c51 = Fma.MultiplyAdd(a, w1, c51);
        }
        NarrowPut(os[0] + p, c00, c01, sums[0]); NarrowPut(os[1] + p, c10, c11, sums[1]);
        NarrowPut(os[2] + p, c20, c21, sums[2]); NarrowPut(os[3] + p, c30, c31, sums[3]);
        NarrowPut(os[4] + p, c40, c41, sums[4]); NarrowPut(os[5] + p, c50, c51, sums[5]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void NarrowPut(float* o, Vector256<float> first, Vector256<float> second, float sum)
    {
        var f = Vector256.Create(1f / sum);
        (first * f).Store(o);
        (second * f).Store(o + NarrowLanes);
    }
}
