namespace Bert.Tokenization.MeCab;

/// <summary>
/// The character class of one UCS-2 code as <c>char.bin</c> stores it (MeCab's 32-bit <c>CharInfo</c> bit field,
/// low bits first): the set of categories (18 bits), the category whose unknown-word entries are used (8), the
/// longest unknown word made of single characters (4), whether runs of the category form one word (1), and whether
/// unknown-word processing runs even when the dictionary has words here (1).
/// </summary>
internal readonly struct CharInfo
{
    private readonly uint bits;

    public CharInfo(uint bits) => this.bits = bits;

    public uint Type => bits & 0x3FFFF;

    public int DefaultType => (int)((bits >> 18) & 0xFF);

    public int Length => (int)((bits >> 26) & 0xF);

    public bool Group => ((bits >> 30) & 1) != 0;

    public bool Invoke => (bits >> 31) != 0;

    /// <summary>MeCab's <c>isKindOf</c>: the two share a category.</summary>
    public bool IsKindOf(CharInfo other) => (Type & other.Type) != 0;
}
