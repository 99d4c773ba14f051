using System.Text;

namespace Bert.Tokenization;

/// <summary>
/// A loaded SentencePiece model that encodes text exactly as <c>spm_encode</c> (sentencepiece 0.1.97) does:
/// normalization, the unigram Viterbi search or the BPE merge loop, then the processor's post-processing
/// (a run of unknown pieces merged into ONE <c>&lt;unk&gt;</c>, or split into byte pieces when the model was
/// trained with <c>byte_fallback</c>). Immutable after loading; safe to use from many threads.
/// </summary>
/// <remarks>
/// Why not Microsoft.ML.Tokenizers' <c>SentencePieceTokenizer</c> (2.0.1): measured against spm_encode it emits one
/// <c>&lt;unk&gt;</c> per unknown character in unigram models (a flag emoji gives <c>[0, 0]</c>, spm <c>[0]</c>),
/// gives byte-piece ids off by 255 with byte fallback, skips NFKC for BPE models, turns a lone space into
/// <c>▁</c>, drops a lone unknown character, merges at least one BPE pair differently, and does not expose
/// control symbols in its vocabulary. On the 4186 KNBC sentences with wiki-ja.model it differs from spm_encode on
/// 124: 121 unknown runs and 3 Viterbi near-ties (e.g. "………" as "... ......" where spm_encode, which sums scores in
/// double precision, gives "...... ..."). Each of these changes ids that the pretrained BERT was trained on, and
/// patching its output would need this exact algorithm anyway to know when it is wrong; so the whole encoder is
/// implemented here from the reference algorithms (<c>normalizer.cc</c>, <c>unigram_model.cc</c>
/// <c>EncodeOptimized</c>, <c>bpe_model.cc</c>, <c>sentencepiece_processor.cc</c>) and proven equal to
/// spm_encode by the tests (all 4186 KNBC sentences with wiki-ja.model, plus trained unigram/BPE models).
/// </remarks>
internal sealed class SentencePieceModel
{
    private const float UnkPenalty = 10.0f;
    private const float FltMin = 1.17549435E-38f;

    private readonly string[] pieces;
    private readonly float[] scores;
    private readonly SentencePieceType[] types;
    private readonly ByteTrie trie = new();
    private readonly ByteTrie reservedTrie = new();
    private readonly ByteTrie? userDefinedTrie;
    private readonly Dictionary<string, int> normalPieces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> reservedPieces = new(StringComparer.Ordinal);
    private readonly int[] byteIds = new int[256];
    private readonly SentencePieceNormalizer normalizer;
    private readonly SentencePieceModelType modelType;
    private readonly bool byteFallback;
    private readonly bool consumeLeadingSpace;
    private readonly float minScore = float.MaxValue;
    private readonly float maxScore = FltMin;

    private SentencePieceModel(SentencePieceModelProto proto, string source)
    {
        // A model this encoder cannot reproduce exactly is refused as data the reader cannot use (never a silent
        // approximation, never a NotSupportedException the caller does not expect from a file).
        if (proto.TreatWhitespaceAsSuffix)
            throw new InvalidDataException(
                $"'{source}': trainer_spec.treat_whitespace_as_suffix is true; only models with the whitespace marker as a prefix (the default) are supported.");
        if (proto.ModelType is not (SentencePieceModelType.Unigram or SentencePieceModelType.Bpe))
            throw new InvalidDataException(
                $"'{source}': trainer_spec.model_type is {ModelTypeName(proto.ModelType)}; only UNIGRAM and BPE models are supported (train with --model_type=unigram or bpe).");

        pieces = proto.Pieces;
        scores = proto.Scores;
        types = proto.Types;
        modelType = proto.ModelType;
        byteFallback = proto.ByteFallback;
        consumeLeadingSpace = proto.AddDummyPrefix || proto.RemoveExtraWhitespaces;
        UnkId = -1;

        ByteTrie? userDefined = null;
        for (var id = 0; id < pieces.Length; id++)
        {
            var type = types[id];
            var isNormal = type is SentencePieceType.Normal or SentencePieceType.UserDefined or SentencePieceType.Unused;
            if (pieces[id].Length == 0)
                throw new InvalidDataException($"'{source}': piece {id} is empty.");
            if (!(isNormal ? normalPieces : reservedPieces).TryAdd(pieces[id], id))
                throw new InvalidDataException($"'{source}': piece '{pieces[id]}' appears twice (ids {(isNormal ? normalPieces : reservedPieces)[pieces[id]]} and {id}).");
            (isNormal ? trie : reservedTrie).Add(Encoding.UTF8.GetBytes(pieces[id]), id);
            if (type == SentencePieceType.UserDefined)
            {
                userDefined ??= new ByteTrie();
                userDefined.Add(Encoding.UTF8.GetBytes(pieces[id]), id);
            }
            if (type == SentencePieceType.Unknown)
            {
                if (UnkId >= 0)
                    throw new InvalidDataException($"'{source}': more than one unknown piece (ids {UnkId} and {id}).");
                UnkId = id;
            }
            if (type == SentencePieceType.Normal)
            {
                minScore = Math.Min(minScore, scores[id]);
                maxScore = Math.Max(maxScore, scores[id]);
            }
        }
        if (UnkId < 0)
            throw new InvalidDataException($"'{source}': the model has no piece of type UNKNOWN (<unk>).");

        trie.Freeze();
        reservedTrie.Freeze();
        userDefinedTrie = userDefined?.Freeze();
        for (var b = 0; b < 256; b++)
            byteIds[b] = PieceToIdOrUnk(BytePiece((byte)b));
        normalizer = new SentencePieceNormalizer(proto, userDefined, source);
    }

    /// <summary>The id of the unknown piece.</summary>
    public int UnkId { get; }

    /// <summary>The number of pieces (the vocabulary size).</summary>
    public int PieceCount => pieces.Length;

    /// <summary>True for BPE models, false for unigram.</summary>
    public bool IsBpe => modelType == SentencePieceModelType.Bpe;

    /// <summary>True when unknown characters become byte pieces.</summary>
    public bool ByteFallback => byteFallback;

    /// <summary>Parses a serialized ModelProto.</summary>
    public static SentencePieceModel Load(ReadOnlySpan<byte> bytes, string source) =>
        new(SentencePieceModelProto.Parse(bytes, source), source);

    /// <summary>The piece string of <paramref name="id"/>.</summary>
    public string IdToPiece(int id) => pieces[id];

    /// <summary>True when <paramref name="id"/> is a control symbol (<c>[CLS]</c>, <c>&lt;s&gt;</c>...).</summary>
    public bool IsControl(int id) => types[id] == SentencePieceType.Control;

    /// <summary>The id of <paramref name="piece"/> (any type), or -1 when the model has no such piece.</summary>
    public int PieceToId(string piece) =>
        reservedPieces.TryGetValue(piece, out var id) ? id : normalPieces.TryGetValue(piece, out id) ? id : -1;

    private int PieceToIdOrUnk(string piece)
    {
        var id = PieceToId(piece);
        return id < 0 ? UnkId : id;
    }

    private static string ModelTypeName(SentencePieceModelType type) =>
        Enum.IsDefined(type) ? type.ToString().ToUpperInvariant() : $"{(int)type} (unknown)";

    private static string BytePiece(byte b) => $"<0x{b:X2}>";

    /// <summary>
    /// Encodes <paramref name="text"/> as spm_encode does, appending ids (and, when <paramref name="outPieces"/>
    /// is given, pieces: the piece string, or for a run of unknown characters its normalized text).
    /// </summary>
    public void Encode(string text, List<int> ids, List<string>? outPieces)
    {
        var input = Encoding.UTF8.GetBytes(text);
        var normalizedList = new List<byte>(input.Length + 8);
        normalizer.Normalize(input, normalizedList);
        if (normalizedList.Count == 0)
            return;
        var normalized = normalizedList.ToArray();

        var segments = modelType == SentencePieceModelType.Bpe ? EncodeBpe(normalized) : EncodeUnigram(normalized);

        // Post-processing of SentencePieceProcessor::Encode: byte fallback, or merging runs of unknown pieces
        // (the merged piece's text is built once per run, so a long run stays linear).
        var previousUnknown = false;
        int unkStart = 0, unkEnd = 0;
        foreach (var (start, length, id) in segments)
        {
            var isUnknown = id == UnkId;
            if (isUnknown && byteFallback)
            {
                for (var i = 0; i < length; i++)
                {
                    var b = normalized[start + i];
                    ids.Add(byteIds[b]);
                    outPieces?.Add(BytePiece(b));
                }
            }
            else if (isUnknown && previousUnknown)
            {
                unkEnd = start + length;
            }
            else
            {
                if (previousUnknown && !byteFallback)
                    outPieces?.Add(Encoding.UTF8.GetString(normalized, unkStart, unkEnd - unkStart));
                ids.Add(id);
                if (isUnknown)
                    (unkStart, unkEnd) = (start, start + length);
                else
                    outPieces?.Add(pieces[id]);
            }
            previousUnknown = isUnknown;
        }
        if (previousUnknown && !byteFallback)
            outPieces?.Add(Encoding.UTF8.GetString(normalized, unkStart, unkEnd - unkStart));
    }

    /// <summary>
    /// Decodes ids as <c>spm_decode</c> does: control symbols vanish, an unknown id becomes <c>" ⁇ "</c>, runs of
    /// byte pieces are decoded as UTF-8 (U+FFFD for each invalid byte), <c>▁</c> becomes a space, and the first
    /// <c>▁</c> while nothing has been written yet is dropped (the dummy prefix).
    /// </summary>
    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)pieces.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Ids run from 0 to {pieces.Length - 1}.");
            if (types[id] == SentencePieceType.Byte)
            {
                bytes.Add(ParseBytePiece(pieces[id]));
                continue;
            }
            FlushBytes(bytes, text);
            if (types[id] == SentencePieceType.Control)
                continue;
            if (id == UnkId)
            {
                text.Append(" \u2047 ");
                continue;
            }
            var piece = pieces[id].AsSpan();
            if (text.Length == 0 && consumeLeadingSpace && piece.StartsWith("\u2581"))
                piece = piece[1..];
            text.Append(piece.ToString().Replace('\u2581', ' '));
        }
        FlushBytes(bytes, text);
        return text.ToString();
    }

    private static byte ParseBytePiece(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
            && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var b)
            ? b
            : throw new InvalidDataException($"Byte piece '{piece}' is not of the form <0xHH>.");

    private static void FlushBytes(List<byte> bytes, StringBuilder text)
    {
        if (bytes.Count == 0)
            return;
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        for (var offset = 0; offset < span.Length;)
        {
            var status = System.Text.Rune.DecodeFromUtf8(span[offset..], out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.ToString());
                offset += consumed;
            }
            else
            {
                text.Append('\uFFFD');
                offset++;
            }
        }
        bytes.Clear();
    }

    /// <summary>unigram_model.cc <c>Model::EncodeOptimized</c>: Viterbi without a stored lattice.</summary>
    private List<(int Start, int Length, int Id)> EncodeUnigram(byte[] normalized)
    {
        var size = normalized.Length;
        var unkScore = minScore - UnkPenalty;
        var bestId = new int[size + 1];
        var bestScore = new float[size + 1];
        var bestStart = new int[size + 1];
        Array.Fill(bestStart, -1);

        var startsAt = 0;
        while (startsAt < size)
        {
            var scoreTillHere = bestScore[startsAt];
            var hasSingleNode = false;
            var charLength = Math.Min(Utf8.OneCharLength(normalized[startsAt]), size - startsAt);
            var node = 0;
            for (var keyPos = startsAt; keyPos < size;)
            {
                node = trie.Step(node, normalized[keyPos]);
                keyPos++;
                if (node < 0)
                    break;
                var id = trie.ValueAt(node);
                if (id < 0 || types[id] == SentencePieceType.Unused)
                    continue;
                var length = keyPos - startsAt;
                // A user-defined symbol gets a bonus so that it is always chosen. In the C++ source the score is
                // `auto score = cond ? (length * max_score_ - 0.1) : GetScore(id)`, a double, so the candidate is
                // summed and compared in double precision and only stored as float: doing the sum in float picks
                // "... ......" where spm_encode picks "...... ..." (KNBC line 2362).
                var score = types[id] == SentencePieceType.UserDefined ? (length * maxScore) - 0.1 : scores[id];
                var candidate = score + scoreTillHere;
                if (bestStart[keyPos] == -1 || candidate > bestScore[keyPos])
                {
                    bestScore[keyPos] = (float)candidate;
                    bestStart[keyPos] = startsAt;
                    bestId[keyPos] = id;
                }
                if (!hasSingleNode && length == charLength)
                    hasSingleNode = true;
            }
            if (!hasSingleNode)
            {
                var target = startsAt + charLength;
                var candidate = unkScore + scoreTillHere;
                if (bestStart[target] == -1 || candidate > bestScore[target])
                {
                    bestScore[target] = candidate;
                    bestStart[target] = startsAt;
                    bestId[target] = UnkId;
                }
            }
            startsAt += charLength;
        }

        var result = new List<(int, int, int)>();
        for (var endsAt = size; endsAt > 0;)
        {
            var start = bestStart[endsAt];
            result.Add((start, endsAt - start, bestId[endsAt]));
            endsAt = start;
        }
        result.Reverse();
        return result;
    }

    /// <summary>bpe_model.cc <c>Model::SampleEncode</c> without dropout: merge the best-scoring pair first.</summary>
    private List<(int Start, int Length, int Id)> EncodeBpe(byte[] normalized)
    {
        var symbols = new List<BpeSymbol>();
        for (var pos = 0; pos < normalized.Length;)
        {
            var rest = normalized.AsSpan(pos);
            var userLength = userDefinedTrie?.LongestPrefix(rest) ?? 0;
            var frozen = userLength > 0;
            var length = frozen ? userLength : Math.Min(Utf8.OneCharLength(normalized[pos]), rest.Length);
            var index = symbols.Count;
            symbols.Add(new BpeSymbol { Start = pos, Length = length, Prev = index - 1, Next = pos + length < normalized.Length ? index + 1 : -1, Frozen = frozen });
            pos += length;
        }

        var agenda = new PriorityQueue<(int Left, int Right, int Size), (float Score, int Left)>(BpePairOrder.Instance);
        Dictionary<string, (string Left, string Right)>? reverseMerges = null;

        void MaybeAdd(int left, int right)
        {
            if (left == -1 || right == -1 || symbols[left].Frozen || symbols[right].Frozen)
                return;
            var l = symbols[left];
            var r = symbols[right];
            var piece = normalized.AsSpan(l.Start, l.Length + r.Length);
            var id = trie.Find(piece);
            if (id < 0)
                return;
            agenda.Enqueue((left, right, piece.Length), (scores[id], left));
            if (types[id] == SentencePieceType.Unused)
            {
                reverseMerges ??= new Dictionary<string, (string, string)>(StringComparer.Ordinal);
                reverseMerges[Encoding.UTF8.GetString(piece)] = (
                    Encoding.UTF8.GetString(normalized, l.Start, l.Length),
                    Encoding.UTF8.GetString(normalized, r.Start, r.Length));
            }
        }

        for (var i = 1; i < symbols.Count; i++)
            MaybeAdd(i - 1, i);

        while (agenda.TryDequeue(out var top, out _))
        {
            var left = symbols[top.Left];
            var right = symbols[top.Right];
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != top.Size)
                continue;
            left.Length += right.Length;
            left.Next = right.Next;
            symbols[top.Left] = left;
            if (right.Next >= 0)
            {
                var after = symbols[right.Next];
                after.Prev = top.Left;
                symbols[right.Next] = after;
            }
            right.Length = 0;
            symbols[top.Right] = right;
            MaybeAdd(left.Prev, top.Left);
            MaybeAdd(top.Left, left.Next);
        }

        var output = new List<(int, int, int)>();
        for (var index = 0; index != -1; index = symbols[index].Next)
        {
            var s = symbols[index];
            var id = trie.Find(normalized.AsSpan(s.Start, s.Length));
            if (id >= 0 && types[id] == SentencePieceType.Unused && reverseMerges is not null)
                Resegment(normalized, s.Start, s.Length, output, reverseMerges);
            else
                output.Add((s.Start, s.Length, ResolveId(id, normalized.AsSpan(s.Start, s.Length))));
        }
        return output;
    }

    /// <summary>ModelInterface::PieceToId: reserved pieces first, then normal ones, else unk.</summary>
    private int ResolveId(int trieId, ReadOnlySpan<byte> piece)
    {
        var reserved = reservedTrie.Find(piece);
        if (reserved >= 0)
            return reserved;
        return trieId >= 0 ? trieId : UnkId;
    }

    private void Resegment(byte[] normalized, int start, int length, List<(int, int, int)> output,
        Dictionary<string, (string Left, string Right)> reverseMerges)
    {
        var span = normalized.AsSpan(start, length);
        var id = ResolveId(trie.Find(span), span);
        if (types[id] != SentencePieceType.Unused
            || !reverseMerges.TryGetValue(Encoding.UTF8.GetString(span), out var parts))
        {
            output.Add((start, length, id));
            return;
        }
        var leftLength = Encoding.UTF8.GetByteCount(parts.Left);
        Resegment(normalized, start, leftLength, output, reverseMerges);
        Resegment(normalized, start + leftLength, length - leftLength, output, reverseMerges);
    }

    private struct BpeSymbol
    {
        public int Start;
        public int Length;
        public int Prev;
        public int Next;
        public bool Frozen;
    }

    /// <summary>std::priority_queue order of bpe_model.cc: higher score first, then the leftmost pair.</summary>
    private sealed class BpePairOrder : IComparer<(float Score, int Left)>
    {
        public static readonly BpePairOrder Instance = new();

        public int Compare((float Score, int Left) x, (float Score, int Left) y)
        {
            if (x.Score != y.Score)
                return x.Score > y.Score ? -1 : 1;
            return x.Left.CompareTo(y.Left);
        }
    }
}
