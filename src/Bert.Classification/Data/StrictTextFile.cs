using System.Text;

namespace Bert.Classification.Data;

/// <summary>
/// Reads a text file strictly: bytes split at '\n' (a byte that no multi-byte sequence of UTF-8 or the EUC/Shift_JIS families contains),
/// each line decoded with a throwing decoder, so an invalid byte is reported with its file and line number
/// instead of becoming U+FFFD.
/// </summary>
internal static class StrictTextFile
{
    /// <summary>Files larger than this are refused (these readers hold a whole file in memory).</summary>
    public const long MaxBytes = 1L << 30;

    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>A strict UTF-8 decoder: throws on invalid bytes.</summary>
    public static Encoding StrictUtf8 { get; } = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A copy of <paramref name="encoding"/> whose decoder throws on invalid bytes instead of writing U+FFFD.</summary>
    public static Encoding Strict(Encoding encoding) =>
        encoding is UTF8Encoding ? StrictUtf8 : Encoding.GetEncoding(encoding.CodePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);

    /// <summary>Checks that <paramref name="path"/> names an existing, readable-sized file, and reads its bytes.</summary>
    /// <exception cref="ArgumentException">The path is empty or names a directory.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is larger than <see cref="MaxBytes"/>.</exception>
    public static byte[] ReadAllBytes(string path, string parameterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path, parameterName);
        if (Directory.Exists(path))
            throw new ArgumentException($"'{path}' is a directory; expected a file.", parameterName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"File not found: '{path}'.", path);
        // Bounded while reading: a device such as /dev/zero reports no length.
        return Bert.Tokenization.BoundedFile.ReadAllBytes(path, MaxBytes, "data file");
    }

    /// <summary>Reads a stream to its end, refusing more than <see cref="MaxBytes"/>.</summary>
    public static byte[] ReadAllBytes(Stream stream, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                throw new InvalidDataException($"{sourceName}: more than {MaxBytes} bytes; not supported by this reader.");
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Decodes <paramref name="bytes"/> into physical lines (without their '\n'; a trailing '\r' is removed
    /// unless <paramref name="keepCarriageReturn"/>, which a CSV parser needs inside quoted fields).
    /// A final empty line after a last '\n' is not returned. A file with no '\n' but some '\r' has classic Mac line ends
    /// (Excel for Mac's "CSV (Macintosh)", old editors): its lines are split at '\r' instead, as Python's universal
    /// newlines and pandas read them, and returned without it. A UTF-8 byte-order mark is skipped when
    /// <paramref name="allowUtf8Bom"/> is true and rejected otherwise (it means the file is UTF-8, not the named encoding).
    /// </summary>
    /// <exception cref="InvalidDataException">A line holds bytes invalid in <paramref name="encoding"/>: names the file, line and byte.</exception>
    public static List<string> DecodeLines(byte[] bytes, Encoding encoding, string sourceName, bool allowUtf8Bom, bool keepCarriageReturn = false)
    {
        var start = 0;
        if (bytes.AsSpan().StartsWith(Utf8Bom))
        {
            if (!allowUtf8Bom)
                throw new InvalidDataException($"{sourceName}, line 1: starts with a UTF-8 byte-order mark; expected {encoding.WebName} text (convert the file, e.g. iconv -f utf-8 -t {encoding.WebName}).");
            start = Utf8Bom.Length;
        }
        var lines = new List<string>();
        var lineNumber = 0;
        var body = bytes.AsSpan(start);
        var lineEnd = body.IndexOf((byte)'\n') < 0 && body.IndexOf((byte)'\r') >= 0 ? (byte)'\r' : (byte)'\n';
        while (start < bytes.Length)
        {
            lineNumber++;
            var end = Array.IndexOf(bytes, lineEnd, start);
            var stop = end < 0 ? bytes.Length : end;
            var length = stop - start;
            if (lineEnd == (byte)'\n' && !keepCarriageReturn && length > 0 && bytes[stop - 1] == (byte)'\r')
                length--;
            lines.Add(Decode(bytes, start, length, encoding, sourceName, lineNumber));
            if (end < 0)
                break;
            start = end + 1;
        }
        return lines;
    }

    private static string Decode(byte[] bytes, int start, int length, Encoding encoding, string sourceName, int lineNumber)
    {
        try
        {
            return encoding.GetString(bytes, start, length);
        }
        catch (DecoderFallbackException e)
        {
            var offset = e.Index >= 0 && e.Index < length ? e.Index : -1;
            var bad = e.BytesUnknown is { Length: > 0 } unknown ? string.Join(" ", unknown.Select(b => b.ToString("X2"))) : "?";
            var where = offset >= 0 ? $" at byte {offset + 1} of the line" : "";
            var hint = encoding.CodePage == Encoding.UTF8.CodePage
                ? " (is it in another encoding, e.g. Shift_JIS? convert it to UTF-8 or name its encoding in the options)"
                : " (is the file in the encoding named in the options?)";
            throw new InvalidDataException($"{sourceName}, line {lineNumber}: invalid {encoding.WebName} byte sequence [{bad}]{where}{hint}.", e);
        }
    }
}
