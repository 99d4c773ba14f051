namespace Bert.Tokenization;

/// <summary>The kind of a piece in a SentencePiece model (<c>ModelProto.SentencePiece.Type</c>).</summary>
internal enum SentencePieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}
