using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Bert.Core.Modeling;

/// <summary>
/// Each thread's scratch for <see cref="PackedGemm"/>'s input rows laid out in blocks: one pinned array per thread that
/// starts a product, grown when a product needs more and reused by the next one, so a forward pass allocates it once.
/// The garbage collector frees it with its thread.
/// </summary>
internal static unsafe class RowBlocks
{
    [ThreadStatic]
    private static float[]? buffer;

    /// <summary>Room for <paramref name="count"/> floats, 64-byte aligned, valid until the calling thread's next call.</summary>
    public static float* Get(long count)
    {
        const int alignment = 64 / sizeof(float);
        if (buffer is null || buffer.LongLength < count + alignment)
            buffer = GC.AllocateUninitializedArray<float>(checked((int)(count + alignment)), pinned: true);
        float* start = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        return (float*)(((nint)start + 63) & ~(nint)63);
    }
}
