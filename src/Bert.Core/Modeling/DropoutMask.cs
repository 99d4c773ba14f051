using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Bert.Core.Modeling;

/// <summary>
/// Dropout's keep-mask drawn by a counter-based hash, 8 elements at a time and split over libtorch's threads.
/// libtorch's CPU <c>bernoulli_</c> (what <c>nn.Dropout</c> calls) draws one 64-bit number per element from its
/// generator on a single thread; a training step of the small shape at 16 × 128 spent about half of its forward pass
/// there while the other thread waited (Intel Xeon, family 6, model 207: forward 0.17-0.21 s with it, 0.08-0.11 s with this).
/// </summary>
/// <remarks>
/// Element <c>i</c> of a mask seeded with <c>s</c> is kept when <c>Mix(Mix(lo(i) ^ lo(s)) ^ hi(s) ^ 0x9E3779B9 · hi(i)) ≥ p · 2³²</c>,
/// where <c>Mix</c> is the 32-bit "lowbias32" integer hash (shifts 16, 15, 15; multipliers 0x21F0AAAD and 0x735A2D97),
/// a bijection with low avalanche bias. So a mask depends only on its seed and size, not on the SIMD width or the number
/// of threads, and the probability of a drop is p to within 2⁻³². Kept elements hold 1 / (1 − p), dropped ones 0.
/// </remarks>
internal static unsafe class DropoutMask
{
    /// <summary>Masks smaller than this are filled by the calling thread alone.</summary>
    private const long SplitFrom = 1 << 15;

    /// <summary>Each thread's share starts at a multiple of this many elements (a cache line's worth, whole vectors).</summary>
    private const long Align = 64;

    /// <summary>The hash's threshold for drop probability <paramref name="p"/> in [0, 1): elements whose hash is below it are dropped.</summary>
    public static uint Threshold(double p) => (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0));

    /// <summary>
    /// Fills all <paramref name="count"/> floats at <paramref name="mask"/> (elements 0 … count − 1 of the mask seeded
    /// with <paramref name="seed"/>) on up to <paramref name="threads"/> threads.
    /// </summary>
    public static void Fill(float* mask, long count, ulong seed, double p, int threads)
    {
        var job = new Job(mask, count, seed, Threshold(p), (float)(1.0 / (1.0 - p)));
        var parts = count < SplitFrom ? 1 : Math.Clamp(threads, 1, (int)Math.Min(int.MaxValue, count / SplitFrom));
        ProductThreads.Run(parts, job);
    }

    /// <summary><see cref="Fill(float*, long, ulong, double, int)"/> into managed memory.</summary>
    internal static void Fill(Span<float> mask, ulong seed, double p, int threads)
    {
        fixed (float* m = mask) Fill(m, mask.Length, seed, p, threads);
    }

    /// <summary><see cref="Fill(float*, long, long, ulong, uint, float, int)"/> into managed memory.</summary>
    internal static void Fill(Span<float> destination, long first, ulong seed, uint threshold, float scale, int width)
    {
        fixed (float* d = destination) Fill(d, first, destination.Length, seed, threshold, scale, width);
    }

    private sealed class Job(float* mask, long count, ulong seed, uint threshold, float scale) : ProductThreads.IJob
    {
        public void Run(int part, int parts)
        {
            long share = (count + parts - 1) / parts;
            share = (share + Align - 1) / Align * Align;
            long first = Math.Min(count, part * share), end = Math.Min(count, first + share);
            Fill(mask + first, first, end - first, seed, threshold, scale, Width);
        }
    }

    /// <summary>
    /// 8 lanes where 256-bit vectors run in hardware, else 1 (scalar). 16 lanes (AVX-512) were tried: a KNBC epoch and a
    /// training step at 16 × 128 (small) ran the same, 0.98-1.02 of 8 lanes, on an Intel Xeon, for the mask is 0.3% of an epoch.
    /// </summary>
    internal static int Width => Vector256.IsHardwareAccelerated ? 8 : 1;

    /// <summary>
    /// Writes elements <paramref name="first"/> … first + count − 1 of the mask to <paramref name="destination"/>, with
    /// vectors of <paramref name="width"/> lanes (8 or 1: the same values; tests compare them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Fill(float* destination, long first, long count, ulong seed, uint threshold, float scale, int width)
    {
        uint key0 = (uint)seed, key1 = (uint)(seed >> 32);
        long end = first + count;
        while (first < end)
        {
            // The counter's low 32 bits go through the first mix; its high bits (masks of 2³² elements and more) key the second.
            long segmentEnd = Math.Min(end, (first | uint.MaxValue) + 1);
            uint high = key1 ^ unchecked(0x9E3779B9u * (uint)(first >> 32));
            int n = checked((int)Math.Min(int.MaxValue, segmentEnd - first));
            Segment(destination, (uint)first, n, key0, high, threshold, scale, width);
            destination += n;
            first += n;
        }
    }

    private static void Segment(float* destination, uint index, int count, uint key0, uint key1, uint threshold, float scale, int width)
    {
        int i = 0;
        if (width == 8)
        {
            var lanes = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
            Vector256<uint> k0 = Vector256.Create(key0), k1 = Vector256.Create(key1), limit = Vector256.Create(threshold);
            var kept = Vector256.Create(scale).AsUInt32();
            for (; i + 8 <= count; i += 8)
            {
                var h = Mix(Mix((Vector256.Create(index + (uint)i) + lanes) ^ k0) ^ k1);
                (Vector256.GreaterThanOrEqual(h, limit) & kept).AsSingle().Store(destination + i);
            }
        }
        for (; i < count; i++)
            destination[i] = Hash(index + (uint)i, key0, key1) >= threshold ? scale : 0f;
    }

    /// <summary>The hash of one element (the scalar form of the vector loop).</summary>
    internal static uint Hash(uint index, uint key0, uint key1) => Mix(Mix(index ^ key0) ^ key1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x21F0AAADu;
        h ^= h >> 15;
        h *= 0x735A2D97u;
        return h ^ (h >> 15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Mix(Vector256<uint> h)
    {
        h ^= Vector256.ShiftRightLogical(h, 16);
        h *= Vector256.Create(0x21F0AAADu);
        h ^= Vector256.ShiftRightLogical(h, 15);
        h *= Vector256.Create(0x735A2D97u);
        return h ^ Vector256.ShiftRightLogical(h, 15);
    }
}
