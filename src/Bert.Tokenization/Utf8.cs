namespace Bert.Tokenization;

/// <summary>UTF-8 helpers with SentencePiece's semantics (<c>util.h</c>).</summary>
internal static class Utf8
{
    /// <summary>The length SentencePiece gives a character from its first byte (<c>OneCharLen</c>).</summary>
    public static int OneCharLength(byte lead) => (lead >> 4) switch
    {
        < 12 => 1,
        12 or 13 => 2,
        14 => 3,
        _ => 4,
    };

    /// <summary>
    /// The byte length of the valid UTF-8 character at the start of <paramref name="text"/>, or 0 when it is
    /// malformed (SentencePiece then emits U+FFFD for one byte).
    /// </summary>
    public static int ValidCharLength(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
            return 0;
        var status = System.Text.Rune.DecodeFromUtf8(text, out _, out var consumed);
        return status == System.Buffers.OperationStatus.Done ? consumed : 0;
    }
}
