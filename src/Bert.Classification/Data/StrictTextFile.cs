using System.Text;

namespace Bert.Classification.Data;

/// <summary>
/// Reads a text file strictly: bytes split at '\n' (a byte no EUC-JP or UTF-8 multi-byte sequence contains),
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

    /// <summary>A strict EUC-JP (code page 51932) decoder: throws on invalid or unmapped byte sequences.</summary>
    public static Encoding StrictEucJp
    {
        get
        {
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            return Encoding.GetEncoding(51932, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        }
    }

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
        var length = new FileInfo(path).Length;
        if (length > MaxBytes)
            throw new InvalidDataException($"{path}: the file is {length} bytes; files over {MaxBytes} bytes are not supported by this reader.");
        return File.ReadAllBytes(path);
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
    /// A final empty line after a last '\n' is not returned. A UTF-8 byte-order mark is skipped when
    /// <paramref name="allowUtf8Bom"/> is true and rejected otherwise (it means the file is not EUC-JP).
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
        while (start < bytes.Length)
        {
            lineNumber++;
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            var stop = end < 0 ? bytes.Length : end;
            var length = stop - start;
            if (!keepCarriageReturn && length > 0 && bytes[stop - 1] == (byte)'\r')
                length--;
            lines.Add(Decode(bytes, start, length, encoding, sourceName, lineNumber));
            if (end < 0)
                break;
            start = end + 1;
        }
        return lines;
    }

    /// <summary>
    /// .NET's code page 51932 decodes six JIS X 0208 codes to Microsoft's CP932 choices; the EUC-JP standard mapping
    /// (iconv, Python's <c>euc_jp</c>, and the UTF-8 KNBC text the reference tokenization was made from) gives
    /// other characters, which SentencePiece's NFKC then treats differently (U+FF5E becomes '~', U+301C stays).
    /// These six are the only differences over all two-byte codes (checked code by code against Python), and only
    /// those codes decode to these characters, so replacing them after decoding is exact.
    /// </summary>
    internal static string ToJisMapping(string text)
    {
        if (text.AsSpan().IndexOfAny(CpChars) < 0)
            return text;
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            var k = CpChars.IndexOf(chars[i]);
            if (k >= 0)
                chars[i] = JisChars[k];
        }
        return new string(chars);
    }

    // A1C1 A1C2 A1DD A1F1 A1F2 A2CC: .NET (CP932 style) -> EUC-JP standard (JIS X 0208 as in iconv).
    private const string CpChars = "\uFF5E\u2225\uFF0D\uFFE0\uFFE1\uFFE2";
    private const string JisChars = "\u301C\u2016\u2212\u00A2\u00A3\u00AC";

    private static string Decode(byte[] bytes, int start, int length, Encoding encoding, string sourceName, int lineNumber)
    {
        try
        {
            var text = encoding.GetString(bytes, start, length);
            return encoding.CodePage == 51932 ? ToJisMapping(text) : text;
        }
        catch (DecoderFallbackException e)
        {
            var offset = e.Index >= 0 && e.Index < length ? e.Index : -1;
            var bad = e.BytesUnknown is { Length: > 0 } unknown ? string.Join(" ", unknown.Select(b => b.ToString("X2"))) : "?";
            var where = offset >= 0 ? $" at byte {offset + 1} of the line" : "";
            var hint = encoding.CodePage == 51932
                ? " (is it UTF-8 or another encoding? KNBC corpus2 files are EUC-JP)"
                : " (is it EUC-JP/Shift_JIS? convert it to UTF-8)";
            throw new InvalidDataException($"{sourceName}, line {lineNumber}: invalid {encoding.WebName} byte sequence [{bad}]{where}{hint}.", e);
        }
    }
}
