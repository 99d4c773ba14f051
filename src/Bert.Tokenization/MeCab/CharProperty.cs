using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Bert.Tokenization.MeCab;

/// <summary>
/// <c>char.bin</c>: the category names (32 bytes each) and a <see cref="CharInfo"/> for each UCS-2 code
/// 0..0xFFFE, with MeCab's UTF-8 decoding (<c>utf8_to_ucs2</c>: characters beyond the BMP, and malformed bytes,
/// are code 0). Immutable.
/// </summary>
internal sealed class CharProperty
{
    private const int CodeCount = 0xFFFF;
    private readonly uint[] map;

    private CharProperty(string[] names, uint[] map)
    {
        Names = names;
        this.map = map;
    }

    /// <summary>The category names, in id order (DEFAULT, SPACE, KANJI, ... for IPADIC).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The size or a category id is wrong.</exception>
    public static CharProperty Load(string path)
    {
        var data = MeCabFile.ReadAll(path);
        if (data.Length < 4)
            throw new InvalidDataException($"MeCab character table '{path}' is truncated: {data.Length} bytes.");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(data);
        var expected = 4 + (32UL * count) + (4UL * CodeCount);
        if (count == 0 || (ulong)data.Length != expected)
            throw new InvalidDataException($"MeCab character table '{path}' is truncated or corrupt: {count} categories need {expected} bytes, the file has {data.Length}.");
        var names = new string[count];
        for (var i = 0; i < names.Length; i++)
            names[i] = MeCabLexicon.ReadName(data.AsSpan(4 + (32 * i), 32), path, $"category {i} name");
        var map = MemoryMarshal.Cast<byte, uint>(data.AsSpan(4 + (32 * (int)count))).ToArray();
        for (var code = 0; code < map.Length; code++)
        {
            var info = new CharInfo(map[code]);
            if (info.DefaultType >= count)
                throw new InvalidDataException($"MeCab character table '{path}' is corrupt: code U+{code:X4} has category {info.DefaultType}, but there are {count} categories.");
        }
        return new CharProperty(names, map);
    }

    /// <summary>The class of the UCS-2 code (U+FFFF, past MeCab's table, has no category).</summary>
    public CharInfo Info(int code) => (uint)code < (uint)map.Length ? new CharInfo(map[code]) : default;

    /// <summary>
    /// MeCab's <c>getCharInfo</c> on UTF-8: the class of the character at <paramref name="pos"/> and its length in
    /// bytes, where <paramref name="end"/> bounds the multi-byte forms. At or past the end of the text it reads
    /// the terminating NUL, as MeCab does.
    /// </summary>
    public CharInfo Info(ReadOnlySpan<byte> text, int pos, int end, out int length)
    {
        length = 1;
        if (pos >= text.Length)
            return Info(0);
        int b0 = text[pos];
        var available = end - pos;
        int code;
        if (b0 < 0x80)
        {
            code = b0;
        }
        else if (available >= 2 && (b0 & 0xE0) == 0xC0)
        {
            length = 2;
            code = ((b0 & 0x1F) << 6) | (text[pos + 1] & 0x3F);
        }
        else if (available >= 3 && (b0 & 0xF0) == 0xE0)
        {
            length = 3;
            code = ((b0 & 0x0F) << 12) | ((text[pos + 1] & 0x3F) << 6) | (text[pos + 2] & 0x3F);
        }
        else
        {
            code = 0;
            length = available >= 4 && (b0 & 0xF8) == 0xF0 ? 4
                : available >= 5 && (b0 & 0xFC) == 0xF8 ? 5
                : available >= 6 && (b0 & 0xFE) == 0xFC ? 6
                : 1;
        }
        return Info(code);
    }

    /// <summary>
    /// MeCab's <c>seekToOtherType</c>: from <paramref name="begin"/>, skips characters while each shares a category
    /// with the previous one (the first with <paramref name="start"/>). Returns where it stopped; <paramref name="last"/>
    /// and <paramref name="length"/> describe the last character examined (unchanged when none was), and
    /// <paramref name="count"/> the characters skipped.
    /// </summary>
    public int SeekToOtherType(ReadOnlySpan<byte> text, int begin, int end, CharInfo start,
        ref CharInfo last, ref int length, out int count)
    {
        var p = begin;
        count = 0;
        var current = start;
        while (p != end)
        {
            last = Info(text, p, end, out length);
            if (!current.IsKindOf(last))
                break;
            p += length;
            count++;
            current = last;
        }
        return p;
    }
}
