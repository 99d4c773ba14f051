using System.Text;

namespace Bert.Tokenization;

/// <summary>
/// Reads a whole file that a user names (tokenizer model, vocabulary, config, index) with a size limit, checked while
/// reading: a device such as <c>/dev/zero</c> reports length 0 and never ends, and a huge file would otherwise end in
/// an <see cref="OutOfMemoryException"/>. Both become an <see cref="InvalidDataException"/> naming the file and the
/// limit. The one place the libraries read whole user files.
/// </summary>
internal static class BoundedFile
{
    /// <summary>The limit for small JSON files (configs, shard indexes): 64 MiB.</summary>
    public const long MaxJsonBytes = 64L << 20;

    /// <summary>The limit for tokenizer files (SentencePiece models, WordPiece vocabularies): 64 MiB; the largest real ones are a few MB.</summary>
    public const long MaxTokenizerBytes = 64L << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The bytes of <paramref name="path"/>, at most <paramref name="maxBytes"/> of them.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">The largest size accepted.</param>
    /// <param name="what">What the file is, for messages ("SentencePiece model").</param>
    /// <exception cref="FileNotFoundException">No file is there (a folder counts as no file).</exception>
    /// <exception cref="InvalidDataException">The file is larger than <paramref name="maxBytes"/>.</exception>
    public static byte[] ReadAllBytes(string path, long maxBytes, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!SaveSnapshot.FileExists(path))
            throw new FileNotFoundException(
                Directory.Exists(path) ? $"{what} '{path}' is a folder, not a file." : $"{what} '{path}' not found.", path);
        using var stream = SaveSnapshot.OpenRead(path, bufferSize: 1, FileOptions.SequentialScan);
        return ReadAllBytes(stream, maxBytes, $"{what} '{path}'");
    }

    /// <summary>The rest of <paramref name="stream"/>, at most <paramref name="maxBytes"/> bytes (the stream is not disposed).</summary>
    /// <param name="stream">The stream, read from its position.</param>
    /// <param name="maxBytes">The largest size accepted.</param>
    /// <param name="source">The stream's name for messages (<c>SentencePiece model 'x.model'</c>).</param>
    /// <exception cref="InvalidDataException">The stream holds more than <paramref name="maxBytes"/> bytes.</exception>
    public static byte[] ReadAllBytes(Stream stream, long maxBytes, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        maxBytes = Math.Min(maxBytes, Array.MaxLength);
        long declared = 0;
        if (stream.CanSeek)
        {
            declared = stream.Length - stream.Position; // 0 for devices and pipes: still checked while reading
            if (declared > maxBytes)
                throw TooLarge(source, maxBytes, declared);
        }
        var buffer = new byte[Math.Min(Math.Max(declared + 1, 4096), maxBytes + 1)];
        int total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (total > maxBytes)
                    throw TooLarge(source, maxBytes, -1);
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxBytes + 1));
            }
            int read = stream.Read(buffer, total, buffer.Length - total);
            if (read == 0)
                break;
            total += read;
        }
        if (total > maxBytes)
            throw TooLarge(source, maxBytes, -1);
        Array.Resize(ref buffer, total);
        return buffer;
    }

    /// <summary>
    /// The text of a UTF-8 file (a byte-order mark is skipped), at most <paramref name="maxBytes"/> bytes; invalid
    /// UTF-8 is an error naming the file instead of silently becoming U+FFFD.
    /// </summary>
    /// <exception cref="FileNotFoundException">No file is there.</exception>
    /// <exception cref="InvalidDataException">The file is too large or not UTF-8.</exception>
    public static string ReadAllText(string path, long maxBytes, string what) =>
        DecodeUtf8(ReadAllBytes(path, maxBytes, what), $"{what} '{path}'");

    /// <summary>Strict UTF-8 decoding of file bytes (a byte-order mark skipped).</summary>
    /// <exception cref="InvalidDataException">The bytes are not UTF-8; the message names <paramref name="source"/>.</exception>
    public static string DecodeUtf8(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var span = bytes.AsSpan();
        if (span.StartsWith("\uFEFF"u8))
            span = span[3..];
        try
        {
            return StrictUtf8.GetString(span);
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"{source} is not UTF-8 text: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The next line of <paramref name="reader"/> (without '\n' and a '\r' before it), or null at the end; a line of
    /// more than <paramref name="maxChars"/> characters (a file with no line breaks, a device) is an error, where
    /// <see cref="TextReader.ReadLine"/> would grow one string until memory runs out.
    /// </summary>
    /// <exception cref="InvalidDataException">The line is too long; the message names <paramref name="source"/> and the line number.</exception>
    public static string? ReadLine(TextReader reader, int maxChars, string source, int lineNumber)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var line = new StringBuilder();
        int c;
        while ((c = reader.Read()) >= 0)
        {
            if (c == '\n')
                return TrimCarriageReturn(line);
            if (line.Length == maxChars)
                throw new InvalidDataException($"{source}, line {lineNumber}: longer than {maxChars} characters (not a text file of lines?).");
            line.Append((char)c);
        }
        return line.Length > 0 ? TrimCarriageReturn(line) : null;
    }

    private static string TrimCarriageReturn(StringBuilder line) =>
        line.Length > 0 && line[^1] == '\r' ? line.ToString(0, line.Length - 1) : line.ToString();

    private static InvalidDataException TooLarge(string source, long maxBytes, long size) =>
        new(size >= 0
            ? $"{source} is {size} bytes, more than the {maxBytes} bytes allowed for it (the wrong file?)."
            : $"{source} holds more than the {maxBytes} bytes allowed for it (a device or the wrong file?).");
}
