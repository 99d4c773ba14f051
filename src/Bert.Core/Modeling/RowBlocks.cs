using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bert.Core.Modeling;

/// <summary>
/// Each thread's scratch for <see cref="PackedGemm"/>'s input rows laid out in blocks and for <see cref="PackedAttention"/>:
/// one pinned array per thread, grown when a call needs more and reused by the next one, so a forward pass allocates it
/// once. Up to <see cref="RetainedFloats"/> (the most <see cref="LinearKernel.Auto"/> asks for: 512 rows of BERT-large's
/// 4096-wide feed-forward output) it stays with the thread, and the garbage collector frees it with the thread; a larger
/// request (a product forced onto <see cref="LinearKernel.Packed"/> with many rows) gets an array of its own, which
/// <see cref="Release"/> lets go.
/// </summary>
internal static unsafe class RowBlocks
{
    /// <summary>The largest scratch, in floats, kept between calls (16 MiB).</summary>
    internal const long RetainedFloats = 4L << 20;

    [ThreadStatic]
    private static float[]? buffer;

    [ThreadStatic]
    private static float[]? oversized;

    /// <summary>
    /// Room for <paramref name="count"/> floats, 64-byte aligned, valid until the calling thread's next call or
    /// <see cref="Release"/>.
    /// </summary>
    public static float* Get(long count)
    {
        const int alignment = 64 / sizeof(float);
        float[] array;
        if (count > RetainedFloats)
        {
            array = oversized = GC.AllocateUninitializedArray<float>(checked((int)(count + alignment)), pinned: true);
        }
        else
        {
            oversized = null;
            if (buffer is null || buffer.LongLength < count + alignment)
                buffer = GC.AllocateUninitializedArray<float>(checked((int)(count + alignment)), pinned: true);
            array = buffer;
        }
        float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (float*)(((nint)start + 63) & ~(nint)63);
    }

    /// <summary>Lets go of the calling thread's scratch above <see cref="RetainedFloats"/>, if it has one.</summary>
    public static void Release() => oversized = null;

    /// <summary>The floats the calling thread keeps between calls (for tests).</summary>
    internal static long RetainedOnThisThread => (buffer?.LongLength ?? 0) + (oversized?.LongLength ?? 0);
}
