namespace Bert.Tokenization.MeCab;

/// <summary>
/// A morpheme of the best path: its bytes in the UTF-8 text and its token (of <c>sys.dic</c>, or of <c>unk.dic</c>
/// when unknown).
/// </summary>
internal readonly record struct MeCabNode(int Begin, int Length, int Token, bool Unknown);
