using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace Bert.Tokenization.MeCab;

/// <summary>
/// A compiled MeCab lexicon file (<c>sys.dic</c> or <c>unk.dic</c>, format version 102): a header (magic XOR file
/// size, version, type, entry count, left/right context sizes, the byte sizes of the double array, the tokens and
/// the features, charset), then the double-array trie from surface to a run of tokens (value = first token index
/// &lt;&lt; 8 | count), the 16-byte tokens and the NUL-terminated feature strings. Read once, checked, immutable.
/// </summary>
internal sealed class MeCabLexicon
{
    public const uint Magic = 0xef718f77u;
    public const uint Version = 102;
    private const int HeaderSize = 40 + 32;
    private const int TokenSize = 16;

    private readonly byte[] data;
    private readonly int tokenOffset;
    private readonly int featureOffset;
    private readonly int featureSize;

    private MeCabLexicon(string path, byte[] data, uint type, uint lexiconSize, uint leftSize, uint rightSize, string charset,
        int trieSize, int tokenCount, int featureSize)
    {
        Path = path;
        this.data = data;
        Type = type;
        LexiconSize = lexiconSize;
        LeftSize = leftSize;
        RightSize = rightSize;
        Charset = charset;
        Trie = new DoubleArrayTrie(data.AsMemory(HeaderSize, trieSize));
        tokenOffset = HeaderSize + trieSize;
        TokenCount = tokenCount;
        featureOffset = tokenOffset + (tokenCount * TokenSize);
        this.featureSize = featureSize;
    }

    /// <summary>The file this lexicon was read from (named in error messages).</summary>
    public string Path { get; }

    /// <summary>0 for a system dictionary, 1 for a user dictionary, 2 for unknown-word definitions.</summary>
    public uint Type { get; }

    public uint LexiconSize { get; }

    public uint LeftSize { get; }

    public uint RightSize { get; }

    public string Charset { get; }

    public DoubleArrayTrie Trie { get; }

    public int TokenCount { get; }

    public ReadOnlySpan<MeCabToken> Tokens => MemoryMarshal.Cast<byte, MeCabToken>(data.AsSpan(tokenOffset, TokenCount * TokenSize));

    /// <summary>Reads and checks a lexicon file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, of another version or endianness, or inconsistent.</exception>
    public static MeCabLexicon Load(string path)
    {
        var data = MeCabFile.ReadAll(path);
        if (data.Length < 100)
            throw new InvalidDataException($"MeCab dictionary '{path}' is truncated: {data.Length} bytes, less than a header.");
        var span = data.AsSpan();
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(span);
        if ((magic ^ Magic) != (uint)data.Length)
        {
            if ((BinaryPrimitives.ReverseEndianness(magic) ^ Magic) == (uint)data.Length)
                throw new InvalidDataException($"MeCab dictionary '{path}' was compiled on a big-endian machine; recompile it with mecab-dict-index here.");
            throw new InvalidDataException($"'{path}' is not a MeCab dictionary or is truncated: its magic number says {magic ^ Magic} bytes, the file has {data.Length}.");
        }
        var version = ReadUInt(span, 4);
        if (version != Version)
            throw new InvalidDataException($"MeCab dictionary '{path}' has format version {version}; MeCab 0.996 dictionaries (version {Version}) are supported.");
        var type = ReadUInt(span, 8);
        var lexiconSize = ReadUInt(span, 12);
        var leftSize = ReadUInt(span, 16);
        var rightSize = ReadUInt(span, 20);
        var trieSize = ReadUInt(span, 24);
        var tokenSize = ReadUInt(span, 28);
        var featureSize = ReadUInt(span, 32);
        var end = (ulong)HeaderSize + trieSize + tokenSize + featureSize;
        if (end != (ulong)data.Length)
            throw new InvalidDataException($"MeCab dictionary '{path}' is inconsistent: header {HeaderSize} + double array {trieSize} + tokens {tokenSize} + features {featureSize} bytes = {end}, but the file has {data.Length}.");
        if (trieSize % 8 != 0 || tokenSize % TokenSize != 0)
            throw new InvalidDataException($"MeCab dictionary '{path}' is inconsistent: the double array ({trieSize} bytes) must hold 8-byte units and the tokens ({tokenSize} bytes) 16-byte entries.");
        var charset = ReadName(span.Slice(40, 32), path, "charset");

        var lexicon = new MeCabLexicon(path, data, type, lexiconSize, leftSize, rightSize, charset,
            (int)trieSize, (int)(tokenSize / TokenSize), (int)featureSize);
        foreach (var token in lexicon.Tokens)
        {
            if (token.Feature >= featureSize)
                throw new InvalidDataException($"MeCab dictionary '{path}' is inconsistent: a token's feature offset {token.Feature} is past the {featureSize}-byte feature block.");
        }
        return lexicon;
    }

    /// <summary>The tokens of a trie value (first index &lt;&lt; 8 | count), checked against the token table.</summary>
    public ReadOnlySpan<MeCabToken> TokensOf(int value)
    {
        var first = (uint)value >> 8;
        var count = (uint)value & 0xff;
        if (first + count > (uint)TokenCount)
            throw new InvalidDataException($"MeCab dictionary '{Path}' is inconsistent: the trie points at tokens {first}..{first + count - 1}, but there are {TokenCount}.");
        return Tokens.Slice((int)first, (int)count);
    }

    /// <summary>The feature string of a token (e.g. <c>名詞,一般,*,...</c>).</summary>
    public string Feature(in MeCabToken token)
    {
        var block = data.AsSpan(featureOffset, featureSize)[(int)token.Feature..];
        var length = block.IndexOf((byte)0);
        if (length < 0)
            throw new InvalidDataException($"MeCab dictionary '{Path}' is inconsistent: the feature at offset {token.Feature} has no terminating NUL.");
        return Encoding.UTF8.GetString(block[..length]);
    }

    private static uint ReadUInt(ReadOnlySpan<byte> span, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(span[offset..]);

    /// <summary>A NUL-terminated ASCII name in a fixed-size field.</summary>
    internal static string ReadName(ReadOnlySpan<byte> field, string path, string what)
    {
        var length = field.IndexOf((byte)0);
        if (length < 0)
            throw new InvalidDataException($"'{path}' is inconsistent: its {what} field ({field.Length} bytes) has no terminating NUL.");
        return Encoding.UTF8.GetString(field[..length]);
    }
}
