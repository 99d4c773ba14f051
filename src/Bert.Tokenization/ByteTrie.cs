namespace Bert.Tokenization;

/// <summary>
/// A byte-wise trie from UTF-8 keys to non-negative values, walked one byte at a time. SentencePiece keeps its
/// pieces in a Darts double array; this simpler structure answers the same prefix questions. Built with
/// <see cref="Add"/>, then <see cref="Freeze"/> packs the edges into flat arrays (a 256-entry table for nodes with
/// many children, a short sorted run for the others). Immutable once frozen, so safe to read from many threads.
/// </summary>
internal sealed class ByteTrie
{
    private const int DenseFanOut = 8;

    private Dictionary<long, int>? building = [];
    private readonly List<int> values = [-1];
    private int[] valueArray = [];
    private int[] edgeStart = [];   // per node: index into labels/targets, or -(dense table index + 1)
    private byte[] edgeCount = [];
    private byte[] labels = [];
    private int[] targets = [];
    private int[] dense = [];

    /// <summary>The number of bytes of the longest key.</summary>
    public int MaxKeyLength { get; private set; }

    /// <summary>Adds a key; a key added twice keeps its first value.</summary>
    public void Add(ReadOnlySpan<byte> key, int value)
    {
        var edges = building ?? throw new InvalidOperationException("The trie is frozen.");
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

    /// <summary>Packs the trie for reading; no key can be added afterwards.</summary>
    public ByteTrie Freeze()
    {
        if (building is null)
            return this;
        var nodeCount = values.Count;
        var children = new List<(byte Label, int Target)>?[nodeCount];
        foreach (var (edge, child) in building)
        {
            var parent = (int)(edge >> 8);
            (children[parent] ??= []).Add(((byte)(edge & 0xFF), child));
        }
        edgeStart = new int[nodeCount];
        edgeCount = new byte[nodeCount];
        var labelList = new List<byte>(building.Count);
        var targetList = new List<int>(building.Count);
        var denseList = new List<int>();
        for (var node = 0; node < nodeCount; node++)
        {
            var list = children[node];
            if (list is null)
                continue;
            if (list.Count > DenseFanOut)
            {
                var table = denseList.Count / 256;
                denseList.AddRange(Enumerable.Repeat(-1, 256));
                foreach (var (label, target) in list)
                    denseList[(table * 256) + label] = target;
                edgeStart[node] = -(table + 1);
            }
            else
            {
                list.Sort((x, y) => x.Label.CompareTo(y.Label));
                edgeStart[node] = labelList.Count;
                edgeCount[node] = (byte)list.Count;
                foreach (var (label, target) in list)
                {
                    labelList.Add(label);
                    targetList.Add(target);
                }
            }
        }
        labels = [.. labelList];
        targets = [.. targetList];
        dense = [.. denseList];
        valueArray = [.. values];
        building = null;
        return this;
    }

    /// <summary>The child of <paramref name="node"/> along <paramref name="b"/>, or -1 when there is none.</summary>
    public int Step(int node, byte b)
    {
        if (building is not null)
            return building.TryGetValue(((long)node << 8) | b, out var c) ? c : -1;
        var start = edgeStart[node];
        if (start < 0)
            return dense[((-start - 1) * 256) + b];
        var end = start + edgeCount[node];
        for (var i = start; i < end; i++)
        {
            if (labels[i] == b)
                return targets[i];
        }
        return -1;
    }

    /// <summary>The value stored at <paramref name="node"/>, or -1 when no key ends there.</summary>
    public int ValueAt(int node) => building is null ? valueArray[node] : values[node];

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
        return ValueAt(node);
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
            if (ValueAt(node) >= 0)
                longest = i + 1;
        }
        return longest;
    }
}
