using System.Runtime.InteropServices;

namespace Bert.Tokenization.MeCab;

/// <summary>
/// One dictionary entry as stored in <c>sys.dic</c>/<c>unk.dic</c> (MeCab's 16-byte <c>Token</c>): left and right
/// context ids, part-of-speech id, word cost, offset of its feature string, compound (unused).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal readonly struct MeCabToken
{
    public readonly ushort LeftId;
    public readonly ushort RightId;
    public readonly ushort PosId;
    public readonly short Cost;
    public readonly uint Feature;
    public readonly uint Compound;
}
