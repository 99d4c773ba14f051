namespace Bert.Tokenization;

/// <summary>The algorithm of a SentencePiece model (<c>TrainerSpec.ModelType</c>).</summary>
internal enum SentencePieceModelType
{
    Unigram = 1,
    Bpe = 2,
    Word = 3,
    Char = 4,
}
