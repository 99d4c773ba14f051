using System.Buffers.Binary;

namespace Bert.Tokenization;

/// <summary>
/// SentencePiece's normalizer (<c>normalizer.cc</c>), byte for byte: the model's precompiled character map
/// (a Darts double-array trie over UTF-8, e.g. <c>nmt_nfkc</c>) applied longest-match first, user-defined symbols
/// left untouched, leading/trailing/repeated spaces removed, a dummy-prefix space added and spaces escaped as
/// U+2581. Microsoft.ML.Tokenizers applies NFKC inside its encoder but not through its public normalizer and not
/// at all for BPE models (measured: <c>ＡＢＣ１２３</c> gives six unknowns), so this is done here.
/// </summary>
internal sealed class SentencePieceNormalizer
{
    private static readonly byte[] SpaceSymbol = [0xE2, 0x96, 0x81];
    private static readonly byte[] ReplacementChar = [0xEF, 0xBF, 0xBD];

    private readonly uint[] trie;
    private readonly byte[] normalizedBlob;
    private readonly ByteTrie? userDefined;
    private readonly bool addDummyPrefix;
    private readonly bool removeExtraWhitespaces;
    private readonly bool escapeWhitespaces;
    private readonly string source;

    public SentencePieceNormalizer(SentencePieceModelProto model, ByteTrie? userDefinedSymbols, string source)
    {
        this.source = source;
        addDummyPrefix = model.AddDummyPrefix;
        removeExtraWhitespaces = model.RemoveExtraWhitespaces;
        escapeWhitespaces = model.EscapeWhitespaces;
        userDefined = userDefinedSymbols;
        var blob = model.PrecompiledCharsMap;
        if (blob.Length == 0)
        {
            trie = [];
            normalizedBlob = [];
            return;
        }
        if (blob.Length <= 4)
            throw new InvalidDataException($"'{source}': the precompiled character map has only {blob.Length} bytes.");
        var trieSize = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieSize >= blob.Length - 4 || trieSize % 4 != 0)
            throw new InvalidDataException($"'{source}': the precompiled character map's trie size {trieSize} does not fit its {blob.Length} bytes.");
        trie = new uint[trieSize / 4];
        for (var i = 0; i < trie.Length; i++)
            trie[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + (4 * i)));
        normalizedBlob = blob[(4 + (int)trieSize)..];
    }

    /// <summary>Normalizes UTF-8 <paramref name="input"/> into <paramref name="output"/> (cleared first).</summary>
    public void Normalize(ReadOnlySpan<byte> input, List<byte> output)
    {
        output.Clear();
        var pos = 0;
        if (removeExtraWhitespaces)
        {
            while (pos < input.Length)
            {
                var consumed = NormalizePrefix(input[pos..], out var piece);
                if (!(piece.Length == 1 && piece[0] == (byte)' '))
                    break;
                pos += consumed;
            }
        }
        if (pos >= input.Length)
            return;

        var isPrevSpace = removeExtraWhitespaces;
        if (addDummyPrefix)
            AppendSpace(output);
        while (pos < input.Length)
        {
            var consumed = NormalizePrefix(input[pos..], out var piece);
            while (isPrevSpace && piece.Length > 0 && piece[0] == (byte)' ')
                piece = piece[1..];
            if (piece.Length > 0)
            {
                foreach (var b in piece)
                {
                    if (escapeWhitespaces && b == (byte)' ')
                        output.AddRange(SpaceSymbol);
                    else
                        output.Add(b);
                }
                isPrevSpace = piece[^1] == (byte)' ';
            }
            pos += consumed;
            if (!removeExtraWhitespaces)
                isPrevSpace = false;
        }

        if (removeExtraWhitespaces)
        {
            ReadOnlySpan<byte> space = escapeWhitespaces ? SpaceSymbol : [(byte)' '];
            while (EndsWith(output, space))
                output.RemoveRange(output.Count - space.Length, space.Length);
        }
    }

    private void AppendSpace(List<byte> output)
    {
        if (escapeWhitespaces)
            output.AddRange(SpaceSymbol);
        else
            output.Add((byte)' ');
    }

    private static bool EndsWith(List<byte> output, ReadOnlySpan<byte> suffix)
    {
        if (output.Count < suffix.Length)
            return false;
        for (var i = 0; i < suffix.Length; i++)
        {
            if (output[output.Count - suffix.Length + i] != suffix[i])
                return false;
        }
        return true;
    }

    /// <summary>Normalizes the longest rule at the start of <paramref name="input"/>; returns the bytes consumed.</summary>
    private int NormalizePrefix(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> result)
    {
        if (userDefined is not null)
        {
            var length = userDefined.LongestPrefix(input);
            if (length > 0)
            {
                result = input[..length];
                return length;
            }
        }

        var (longestLength, longestValue) = LongestRule(input);
        if (longestLength == 0)
        {
            var charLength = Utf8.ValidCharLength(input);
            if (charLength == 0)
            {
                result = ReplacementChar;
                return 1;
            }
            result = input[..charLength];
            return charLength;
        }

        var start = longestValue;
        if (start >= normalizedBlob.Length)
            throw new InvalidDataException($"'{source}': the precompiled character map points past its strings ({start} >= {normalizedBlob.Length}).");
        var end = Array.IndexOf(normalizedBlob, (byte)0, start);
        result = normalizedBlob.AsSpan(start, (end < 0 ? normalizedBlob.Length : end) - start);
        return longestLength;
    }

    /// <summary>Darts-clone <c>commonPrefixSearch</c>, keeping the longest match.</summary>
    private (int Length, int Value) LongestRule(ReadOnlySpan<byte> key)
    {
        if (trie.Length == 0)
            return (0, 0);
        int longestLength = 0, longestValue = 0;
        uint nodePos = 0;
        var unit = trie[0];
        nodePos ^= Offset(unit);
        for (var i = 0; i < key.Length; i++)
        {
            nodePos ^= key[i];
            if (nodePos >= trie.Length)
                break;
            unit = trie[nodePos];
            if (Label(unit) != key[i])
                break;
            nodePos ^= Offset(unit);
            if (nodePos >= trie.Length)
                break;
            if (HasLeaf(unit))
            {
                longestLength = i + 1;
                longestValue = (int)(trie[nodePos] & 0x7FFFFFFFu);
            }
        }
        return (longestLength, longestValue);
    }

    private static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;

    private static uint Label(uint unit) => unit & (0x80000000u | 0xFFu);

    private static uint Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);
}
