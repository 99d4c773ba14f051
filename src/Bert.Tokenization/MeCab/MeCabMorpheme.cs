namespace Bert.Tokenization.MeCab;

/// <summary>One morpheme of a MeCab analysis: what <c>mecab</c> prints as <c>surface\tfeature</c>.</summary>
/// <param name="Surface">The text of the morpheme (without the spaces MeCab skipped before it).</param>
/// <param name="Feature">The dictionary's feature string, e.g. <c>名詞,一般,*,*,*,*,猫,ネコ,ネコ</c> in IPADIC.</param>
/// <param name="IsUnknown">True when the word is not in the dictionary (its feature comes from <c>unk.dic</c>).</param>
public sealed record MeCabMorpheme(string Surface, string Feature, bool IsUnknown);
