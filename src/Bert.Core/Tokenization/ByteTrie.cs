namespace Bert.Core.Tokenization;

/// <summary>
/// A byte-wise trie from UTF-8 keys to non-negative values, walked one byte at a time. SentencePiece keeps its
/// pieces in a Darts double array; this simpler structure answers the same prefix questions. Immutable after
/// construction, so it is safe to read from many threads.
/// </summary>
internal sealed class ByteTrie
{
    private readonly Dictionary<long, int> edges = [];
    private readonly List<int> values = [-1];

    /// <summary>The number of bytes of the longest key.</summary>
    public int MaxKeyLength { get; private set; }

    /// <summary>Adds a key; a key added twice keeps its first value.</summary>
    public void Add(ReadOnlySpan<byte> key, int value)
    {
        var node = 0;
        foreach (var b in key)
        {
            var edge = ((long)node << 8) | b;
            if (!edges.TryGetValue(edge, out var child))
            {
                child = values.Count;
                values.Add(-1);
                edges.Add(edge, child);
            }
            node = child;
        }
        if (values[node] < 0)
            values[node] = value;
        MaxKeyLength = Math.Max(MaxKeyLength, key.Length);
    }

    /// <summary>The child of <paramref name="node"/> along <paramref name="b"/>, or -1 when there is none.</summary>
    public int Step(int node, byte b) => edges.TryGetValue(((long)node << 8) | b, out var child) ? child : -1;

    /// <summary>The value stored at <paramref name="node"/>, or -1 when no key ends there.</summary>
    public int ValueAt(int node) => values[node];

    /// <summary>The value of exactly <paramref name="key"/>, or -1.</summary>
    public int Find(ReadOnlySpan<byte> key)
    {
        var node = 0;
        foreach (var b in key)
        {
            node = Step(node, b);
            if (node < 0)
                return -1;
        }
        return values[node];
    }

    /// <summary>The byte length of the longest key that prefixes <paramref name="text"/>, or 0.</summary>
    public int LongestPrefix(ReadOnlySpan<byte> text)
    {
        int node = 0, longest = 0;
        for (var i = 0; i < text.Length; i++)
        {
            node = Step(node, text[i]);
            if (node < 0)
                break;
            if (values[node] >= 0)
                longest = i + 1;
        }
        return longest;
    }
}
