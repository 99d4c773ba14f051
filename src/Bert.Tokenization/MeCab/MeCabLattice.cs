namespace Bert.Tokenization.MeCab;

/// <summary>
/// The working memory of one MeCab analysis (MeCab's <c>Lattice</c> with <c>Tokenizer::lookup</c> and
/// <c>Viterbi::viterbi</c>), reused across calls on one thread. Nodes live in one array and are chained by index
/// exactly as MeCab chains its pointers (new nodes in front), because the order of the chains decides ties:
/// a node keeps the first left neighbour, in chain order, with the strictly lowest cost.
/// </summary>
internal sealed class MeCabLattice
{
    /// <summary>MeCab's lookup reads at most this many bytes ahead.</summary>
    private const int MaxLookahead = 65535;

    /// <summary>MeCab's best-cost start value; a path that costs this much or more cannot be chosen.</summary>
    private const long CostLimit = 2147483647;

    [ThreadStatic]
    private static MeCabLattice? cached;

    private Node[] nodes = new Node[1024];
    private int nodeCount;
    private int[] endHeads = new int[256];
    private byte[] bytes = new byte[1024];
    private readonly PrefixMatch[] matches = new PrefixMatch[512];

    /// <summary>The lattice of the calling thread.</summary>
    public static MeCabLattice ForCurrentThread() => cached ??= new MeCabLattice();

    /// <summary>
    /// <paramref name="text"/> in UTF-8, up to its first NUL (MeCab reads C strings), in this lattice's buffer:
    /// valid until the next call on this thread.
    /// </summary>
    public ReadOnlySpan<byte> Encode(string text)
    {
        var nul = text.IndexOf('\0', StringComparison.Ordinal);
        var chars = nul < 0 ? text.AsSpan() : text.AsSpan(0, nul);
        var max = System.Text.Encoding.UTF8.GetMaxByteCount(chars.Length);
        if (bytes.Length < max)
            bytes = new byte[Math.Max(max, bytes.Length * 2)];
        var length = System.Text.Encoding.UTF8.GetBytes(chars, bytes);
        return bytes.AsSpan(0, length);
    }

    /// <summary>Analyses UTF-8 text (with no NUL) and appends the best path's morphemes, as byte ranges of it.</summary>
    public void Analyze(MeCabDictionary dictionary, ReadOnlySpan<byte> text, List<MeCabNode> output)
    {
        var length = text.Length;
        nodeCount = 0;
        if (endHeads.Length < length + 1)
            endHeads = new int[Math.Max(length + 1, endHeads.Length * 2)];
        endHeads.AsSpan(0, length + 1).Fill(-1);

        var bos = NewNode(0, 0, 0, 0, 0, 0, -1, false);
        endHeads[0] = bos;
        for (var pos = 0; pos < length; pos++)
        {
            if (endHeads[pos] < 0)
                continue;
            Connect(dictionary.Matrix, pos, Lookup(dictionary, text, pos), length);
        }

        var eos = NewNode(length, 0, 0, 0, 0, 0, -1, false);
        for (var pos = length; pos >= 0; pos--)
        {
            if (endHeads[pos] >= 0)
            {
                Connect(dictionary.Matrix, pos, eos, length);
                break;
            }
        }

        var first = output.Count;
        for (var node = nodes[eos].Prev; node != bos; node = nodes[node].Prev)
        {
            ref var n = ref nodes[node];
            output.Add(new MeCabNode(n.Begin, n.Length, n.Token, n.Unknown));
        }
        output.Reverse(first, output.Count - first);
    }

    /// <summary>MeCab's <c>connect</c>: gives each node of the chain its best left neighbour ending at <paramref name="pos"/>.</summary>
    private void Connect(ConnectionMatrix matrix, int pos, int head, int length)
    {
        for (var right = head; right >= 0; right = nodes[right].Next)
        {
            var best = CostLimit;
            var bestNode = -1;
            int leftId = nodes[right].LeftId;
            int wordCost = nodes[right].WordCost;
            for (var left = endHeads[pos]; left >= 0; left = nodes[left].EndNext)
            {
                var cost = nodes[left].Total + matrix.Cost(nodes[left].RightId, leftId) + wordCost;
                if (cost < best)
                {
                    best = cost;
                    bestNode = left;
                }
            }
            if (bestNode < 0)
                throw new ArgumentException($"The text is too long for MeCab's cost arithmetic (a path would cost {CostLimit} or more at byte {pos}); split it.");
            ref var node = ref nodes[right];
            node.Prev = bestNode;
            node.Total = best;
            // A node past the end (MeCab's one-byte node on the terminating NUL after trailing spaces) is never reached.
            var end = pos + node.RLength;
            if (end <= length)
            {
                node.EndNext = endHeads[end];
                endHeads[end] = right;
            }
        }
    }

    /// <summary>MeCab's <c>Tokenizer::lookup</c>: the chain of candidate words that start at <paramref name="pos"/> after spaces.</summary>
    private int Lookup(MeCabDictionary dictionary, ReadOnlySpan<byte> text, int pos)
    {
        var characters = dictionary.Characters;
        var end = text.Length - pos >= MaxLookahead ? pos + MaxLookahead : text.Length;
        CharInfo info = default;
        var charLength = 0;
        var begin2 = characters.SeekToOtherType(text, pos, end, dictionary.SpaceInfo, ref info, ref charLength, out _);

        var head = -1;
        var system = dictionary.System;
        // Darts reads a C string to its NUL when given no length.
        var keyLength = end - begin2 == 0 ? text.Length - begin2 : end - begin2;
        var found = system.Trie.CommonPrefixSearch(text.Slice(begin2, keyLength), matches);
        for (var i = 0; i < found; i++)
        {
            var match = matches[i];
            var tokens = system.TokensOf(match.Value);
            var firstToken = (match.Value >> 8) & 0xFFFFFF;
            for (var j = 0; j < tokens.Length; j++)
            {
                ref readonly var token = ref tokens[j];
                var node = NewNode(begin2, match.Length, begin2 - pos + match.Length, token.LeftId, token.RightId, token.Cost,
                    firstToken + j, false);
                nodes[node].Next = head;
                head = node;
            }
        }
        if (head >= 0 && !info.Invoke)
            return head;

        var begin3 = begin2 + charLength;
        var groupEnd = -1;
        if (begin3 > end)
        {
            AddUnknown(dictionary, info, pos, begin2, begin3, ref head);
            if (head >= 0)
                return head;
        }
        if (info.Group)
        {
            var start = begin3;
            CharInfo last = default;
            begin3 = characters.SeekToOtherType(text, begin3, end, info, ref last, ref charLength, out var count);
            if (count <= dictionary.MaxGroupingSize)
                AddUnknown(dictionary, info, pos, begin2, begin3, ref head);
            groupEnd = begin3;
            begin3 = start;
        }
        for (var i = 1; i <= info.Length; i++)
        {
            if (begin3 > end)
                break;
            if (begin3 == groupEnd)
                continue;
            AddUnknown(dictionary, info, pos, begin2, begin3, ref head);
            if (!info.IsKindOf(characters.Info(text, begin3, end, out charLength)))
                break;
            begin3 += charLength;
        }
        if (head < 0)
            AddUnknown(dictionary, info, pos, begin2, begin3, ref head);
        return head;
    }

    /// <summary>MeCab's <c>ADDUNKNWON</c>: one node per unknown-word entry of the character's category, spanning begin2..begin3.</summary>
    private void AddUnknown(MeCabDictionary dictionary, CharInfo info, int pos, int begin2, int begin3, ref int head)
    {
        var value = dictionary.UnknownValues[info.DefaultType];
        var tokens = dictionary.Unknown.TokensOf(value);
        var firstToken = (value >> 8) & 0xFFFFFF;
        for (var k = 0; k < tokens.Length; k++)
        {
            ref readonly var token = ref tokens[k];
            var node = NewNode(begin2, begin3 - begin2, begin3 - pos, token.LeftId, token.RightId, token.Cost, firstToken + k, true);
            nodes[node].Next = head;
            head = node;
        }
    }

    private int NewNode(int begin, int length, int rlength, ushort leftId, ushort rightId, short wordCost, int token, bool unknown)
    {
        if (nodeCount == nodes.Length)
            Array.Resize(ref nodes, nodes.Length * 2);
        var index = nodeCount++;
        nodes[index] = new Node
        {
            Begin = begin,
            Length = length,
            RLength = rlength,
            LeftId = leftId,
            RightId = rightId,
            WordCost = wordCost,
            Token = token,
            Unknown = unknown,
            Prev = -1,
            Next = -1,
            EndNext = -1,
        };
        return index;
    }

    private struct Node
    {
        public int Begin;
        public int Length;
        public int RLength;
        public ushort LeftId;
        public ushort RightId;
        public short WordCost;
        public bool Unknown;
        public int Token;
        public long Total;
        public int Prev;
        public int Next;
        public int EndNext;
    }
}
