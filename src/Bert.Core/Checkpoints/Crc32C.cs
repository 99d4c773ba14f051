using System.Numerics;
using System.Runtime.InteropServices;

namespace Bert.Core.Checkpoints;

/// <summary>
/// CRC-32C (Castagnoli) as LevelDB and TensorFlow use it, on the hardware instruction when the CPU has one
/// (<see cref="BitOperations.Crc32C(uint, ulong)"/>), with LevelDB's mask for stored checksums.
/// </summary>
internal static class Crc32C
{
    private const uint MaskDelta = 0xa282ead8u;

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Extend(0, data);

    /// <summary>The CRC-32C of the concatenation of the data that gave <paramref name="crc"/> and <paramref name="data"/>.</summary>
    public static uint Extend(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        var words = MemoryMarshal.Cast<byte, ulong>(data);
        if (BitConverter.IsLittleEndian)
        {
            foreach (var w in words)
                c = BitOperations.Crc32C(c, w);
            data = data[(words.Length * sizeof(ulong))..];
        }
        foreach (var b in data)
            c = BitOperations.Crc32C(c, b);
        return ~c;
    }

    /// <summary>LevelDB's masked form of a CRC (rotate right by 15 bits, add a constant), as stored in files.</summary>
    public static uint Mask(uint crc) => ((crc >> 15) | (crc << 17)) + MaskDelta;

    /// <summary>The CRC a masked value was made from.</summary>
    public static uint Unmask(uint masked)
    {
        uint rot = masked - MaskDelta;
        return (rot >> 17) | (rot << 15);
    }
}
