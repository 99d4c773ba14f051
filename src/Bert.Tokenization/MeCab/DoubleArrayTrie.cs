using System.Runtime.InteropServices;

namespace Bert.Tokenization.MeCab;

/// <summary>
/// The double-array trie of a compiled MeCab dictionary (Darts 0.32 layout: units of a signed <c>base</c> and an
/// unsigned <c>check</c>, the child of node <c>b</c> on byte <c>c</c> at <c>b + c + 1</c>, a key's value stored as
/// <c>-base - 1</c> in the unit at <c>b</c>). Keys are UTF-8 bytes. Every index is bounds-checked, so a damaged
/// array gives no match rather than an out-of-range read. Immutable.
/// </summary>
internal sealed class DoubleArrayTrie
{
    private readonly ReadOnlyMemory<byte> array;

    /// <param name="array">The units as stored: 8 bytes each, little-endian (the caller checked the length).</param>
    public DoubleArrayTrie(ReadOnlyMemory<byte> array) => this.array = array;

    private ReadOnlySpan<Unit> Units => MemoryMarshal.Cast<byte, Unit>(array.Span);

    /// <summary>
    /// Darts' <c>commonPrefixSearch</c>: writes (value, key length in bytes) of every key that is a prefix of
    /// <paramref name="key"/>, shortest first, into <paramref name="results"/>; returns how many were written
    /// (at most its length, as Darts' <c>result_len</c>).
    /// </summary>
    public int CommonPrefixSearch(ReadOnlySpan<byte> key, Span<PrefixMatch> results)
    {
        var units = Units;
        if (units.IsEmpty)
            return 0;
        var count = 0;
        long b = units[0].Base;
        for (var i = 0; i < key.Length; i++)
        {
            if (TryValueAt(units, b, out var value) && count < results.Length)
                results[count++] = new PrefixMatch(value, i);
            var p = b + key[i] + 1;
            if ((ulong)p >= (ulong)units.Length || units[(int)p].Check != (uint)b)
                return count;
            b = units[(int)p].Base;
        }
        if (TryValueAt(units, b, out var last) && count < results.Length)
            results[count++] = new PrefixMatch(last, key.Length);
        return count;
    }

    /// <summary>Darts' <c>exactMatchSearch</c>: the value of <paramref name="key"/>, or -1.</summary>
    public int ExactMatch(ReadOnlySpan<byte> key)
    {
        var units = Units;
        if (units.IsEmpty)
            return -1;
        long b = units[0].Base;
        foreach (var c in key)
        {
            var p = b + c + 1;
            if ((ulong)p >= (ulong)units.Length || units[(int)p].Check != (uint)b)
                return -1;
            b = units[(int)p].Base;
        }
        return TryValueAt(units, b, out var value) ? value : -1;
    }

    private static bool TryValueAt(ReadOnlySpan<Unit> units, long b, out int value)
    {
        value = 0;
        if ((ulong)b >= (ulong)units.Length || units[(int)b].Check != (uint)b)
            return false;
        var n = units[(int)b].Base;
        if (n >= 0)
            return false;
        value = -n - 1;
        return true;
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Unit
    {
        public readonly int Base;
        public readonly uint Check;
    }
}

/// <summary>One key found by <see cref="DoubleArrayTrie.CommonPrefixSearch"/>: its value and its length in bytes.</summary>
internal readonly record struct PrefixMatch(int Value, int Length);
