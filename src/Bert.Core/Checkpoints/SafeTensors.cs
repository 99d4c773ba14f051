using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bert.Tokenization;
using static TorchSharp.torch;
using Bert.Core.IO;

namespace Bert.Core.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
/// <c>{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}</c>, then the
/// raw little-endian tensor bytes. Supported dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL.
/// </summary>
public static class SafeTensors
{
    /// <summary>
    /// The largest header this reader accepts: 16 MiB (the reference allows 100 MB; a BERT's header is about 20 KB and
    /// a large language model's about 1 MB, while 100 MB of tiny entries would cost gigabytes to hold).
    /// </summary>
    public const long MaxHeaderBytes = 16L << 20;

    /// <summary>The most tensors a header may list (a BERT-large checkpoint has about 400).</summary>
    public const int MaxTensors = 100_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>The entries of a file's header (name, dtype, shape, byte range), in file order, without reading data.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The header is malformed (the message names the file and tensor).</exception>
    public static IReadOnlyList<SafeTensorsEntry> ReadHeader(string path)
    {
        using var stream = OpenRead(path);
        return ParseHeader(stream, path, out _, out _);
    }

    /// <summary>The <c>__metadata__</c> of a file (empty when absent).</summary>
    /// <exception cref="InvalidDataException">The header is malformed.</exception>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var stream = OpenRead(path);
        ParseHeader(stream, path, out _, out var metadata);
        return metadata;
    }

    /// <summary>Reads every tensor of a file into CPU tensors of the stored dtype; the caller disposes them.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// Bad JSON, no tensors, an empty name, byte ranges that overlap, leave gaps or do not end at the end of the file,
    /// byte sizes inconsistent with dtype and shape, unknown dtypes or a truncated file; the message names the file and
    /// the tensor. Everything is checked against the header and the file size before any tensor is allocated.
    /// </exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var stream = OpenRead(path);
        var entries = ParseHeader(stream, path, out long dataStart, out _);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in entries)
            {
                var tensor = empty(entry.Shape, entry.DType);
                result.Add(entry.Name, tensor);
                if (entry.ByteLength == 0) continue;
                stream.Position = dataStart + entry.Begin;
                try
                {
                    stream.ReadExactly(tensor.bytes);
                }
                catch (EndOfStreamException ex)
                {
                    throw new InvalidDataException($"'{path}' is truncated: tensor '{entry.Name}' ends past the end of the file", ex);
                }
            }
            return result;
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Writes tensors (any device; contiguous CPU copies are made) to <paramref name="path"/> atomically: a temporary
    /// file in the same folder, then a rename.
    /// </summary>
    /// <param name="path">The target file.</param>
    /// <param name="tensors">Names and tensors, written in this order.</param>
    /// <param name="metadata">The <c>__metadata__</c> strings; Hugging Face transformers expects <c>{"format": "pt"}</c>, which is written when null.</param>
    /// <exception cref="ArgumentException">A name is duplicated or empty, or a dtype is not supported.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        Validate(list);
        AtomicFile.Write(path, stream => Write(stream, list, metadata));
    }

    /// <summary>Writes tensors in the safetensors format to a stream (left open); see <see cref="Write(string, IEnumerable{KeyValuePair{string, Tensor}}, IReadOnlyDictionary{string, string}?)"/>.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="tensors">Names and tensors, written in this order.</param>
    /// <param name="metadata">The <c>__metadata__</c> strings (<c>{"format": "pt"}</c> when null).</param>
    /// <exception cref="ArgumentException">A name is duplicated or empty, or a dtype is not supported.</exception>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        EnsureLittleEndian();
        var list = tensors.ToList();
        Validate(list);
        var header = new JsonObject();
        var meta = new JsonObject();
        foreach (var (key, value) in metadata ?? new Dictionary<string, string> { ["format"] = "pt" })
            meta[key] = value;
        header[MetadataKey] = meta;
        long offset = 0;
        foreach (var (name, tensor) in list)
        {
            string dtype = DTypeName(tensor.dtype)!; // checked by Validate
            long size = tensor.numel() * tensor.ElementSize;
            var shape = new JsonArray();
            foreach (long dim in tensor.shape) shape.Add(dim);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = shape,
                ["data_offsets"] = new JsonArray(offset, offset + size),
            };
            offset += size;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (headerBytes.Length + 7) / 8 * 8; // the reference pads the header with spaces to 8 bytes
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        stream.Write(length);
        stream.Write(headerBytes);
        for (int i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
        foreach (var (_, tensor) in list)
        {
            using var cpu = tensor.detach().cpu().contiguous();
            if (cpu.numel() > 0)
                stream.Write(cpu.bytes);
        }
    }

    // Checked before the target file is created, so a bad name or dtype leaves nothing behind.
    private static void Validate(List<KeyValuePair<string, Tensor>> list)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in list)
        {
            if (string.IsNullOrEmpty(name) || name == MetadataKey)
                throw new ArgumentException($"'{name}' cannot be a tensor name in a safetensors file", "tensors");
            if (!names.Add(name))
                throw new ArgumentException($"Tensor name '{name}' appears twice", "tensors");
            if (DTypeName(tensor.dtype) is null)
                throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors writing does not support", "tensors");
        }
    }

    private static Stream OpenRead(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!SaveSnapshot.FileExists(path))
            throw new FileNotFoundException($"safetensors file '{path}' not found", path);
        EnsureLittleEndian();
        return SaveSnapshot.OpenRead(path, 1 << 16);
    }

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors support needs a little-endian machine");
    }

    private static List<SafeTensorsEntry> ParseHeader(Stream stream, string path, out long dataStart, out Dictionary<string, string> metadata)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new InvalidDataException($"'{path}' is not a safetensors file: {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"'{path}' declares a {headerLength}-byte header, more than the {MaxHeaderBytes} allowed (not a safetensors file?)");
        if ((long)headerLength > fileLength - 8)
            throw new InvalidDataException($"'{path}' declares a {headerLength}-byte header but has only {fileLength - 8} bytes after the length (truncated?)");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        try
        {
            // Invalid UTF-8 would otherwise surface later as an InvalidOperationException from System.Text.Json.
            _ = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetCharCount(headerBytes);
        }
        catch (System.Text.DecoderFallbackException ex)
        {
            throw new InvalidDataException($"'{path}': the safetensors header is not valid UTF-8: {ex.Message}", ex);
        }

        // JsonDocument, not JsonNode: a header of many small entries costs a few bytes per token, not an object each.
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(headerBytes);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}': the safetensors header is not valid JSON: {ex.Message}", ex);
        }
        using var owned = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}': the safetensors header is not a JSON object");

        metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var entries = new List<SafeTensorsEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            string name = property.Name;
            if (!names.Add(name))
                throw new InvalidDataException($"'{path}': the safetensors header has the key '{name}' twice");
            if (name == MetadataKey)
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"'{path}': __metadata__ must be an object of strings");
                foreach (var item in property.Value.EnumerateObject())
                {
                    if (item.Value.ValueKind != JsonValueKind.String)
                        throw new InvalidDataException($"'{path}': __metadata__ value '{item.Name}' must be a string");
                    metadata[item.Name] = item.Value.GetString()!;
                }
                continue;
            }
            if (entries.Count == MaxTensors)
                throw new InvalidDataException($"'{path}': the safetensors header lists more than {MaxTensors} tensors (a BERT has a few hundred)");
            entries.Add(ParseEntry(name, property.Value, path, dataLength));
        }

        if (entries.Count == 0)
            throw new InvalidDataException($"'{path}': the safetensors header lists no tensors");
        CheckLayout(entries, path, (long)headerLength, dataLength);
        return entries;
    }

    /// <summary>
    /// The layout rule of the reference implementation (<c>Metadata::validate</c> and the <c>MetadataIncompleteBuffer</c>
    /// check of huggingface/safetensors): the byte ranges, sorted by (begin, end), tile the data section from byte 0
    /// with neither gap nor overlap (a zero-length range included), and the last one ends at the end of the file. So
    /// every pair of ranges is checked, not only neighbours, and a header-length field off by a few bytes, which would
    /// shift every weight, is refused.
    /// </summary>
    private static void CheckLayout(List<SafeTensorsEntry> entries, string path, long headerLength, long dataLength)
    {
        var ordered = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long covered = 0;
        SafeTensorsEntry? previous = null;
        foreach (var entry in ordered)
        {
            if (entry.Begin < covered)
                throw new InvalidDataException(
                    $"'{path}': tensor '{entry.Name}' (bytes {entry.Begin}..{entry.End}) overlaps tensor '{previous!.Name}' (bytes {previous.Begin}..{previous.End})");
            if (entry.Begin > covered)
                throw new InvalidDataException(
                    $"'{path}': data bytes {covered}..{entry.Begin} belong to no tensor (a gap before tensor '{entry.Name}'); safetensors data has no holes");
            covered = entry.End;
            previous = entry;
        }
        if (covered != dataLength)
            throw new InvalidDataException(
                $"'{path}': the tensors cover {covered} data bytes but the file has {dataLength} after its {headerLength}-byte header " +
                "(a wrong header length, trailing bytes or a truncated file)");
    }

    private static SafeTensorsEntry ParseEntry(string name, JsonElement node, string path, long dataLength)
    {
        if (name.Length == 0)
            throw new InvalidDataException($"'{path}': the safetensors header has a tensor with an empty name");
        if (node.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}': the header entry of tensor '{name}' is not an object");
        if (!node.TryGetProperty("dtype", out var dtypeValue) || dtypeValue.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"'{path}': tensor '{name}' has no string 'dtype'");
        string dtypeName = dtypeValue.GetString()!;
        var dtype = ParseDType(dtypeName)
            ?? throw new InvalidDataException($"'{path}': tensor '{name}' has dtype '{dtypeName}', which is not supported (F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        if (!node.TryGetProperty("shape", out var shapeArray) || shapeArray.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"'{path}': tensor '{name}' has no 'shape' array");
        var shape = new long[shapeArray.GetArrayLength()];
        for (int i = 0; i < shape.Length; i++)
            shape[i] = ReadNonNegative(shapeArray[i], path, name, "shape");
        if (!node.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new InvalidDataException($"'{path}': tensor '{name}' has no 'data_offsets' [begin, end]");
        long begin = ReadNonNegative(offsets[0], path, name, "data_offsets");
        long end = ReadNonNegative(offsets[1], path, name, "data_offsets");
        if (end < begin)
            throw new InvalidDataException($"'{path}': tensor '{name}' has data_offsets [{begin}, {end}] with end before begin");
        if (end > dataLength)
            throw new InvalidDataException(
                $"'{path}': tensor '{name}' has data_offsets [{begin}, {end}] past the {dataLength} data bytes of the file (truncated or corrupt)");
        long elementSize = ElementSize(dtype);
        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (a, b) => checked(a * b)) * elementSize);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"'{path}': tensor '{name}' declares shape [{string.Join(", ", shape)}], too large to exist");
        }
        if (expected != end - begin)
            throw new InvalidDataException(
                $"'{path}': tensor '{name}' is {dtypeName} [{string.Join(", ", shape)}] = {expected} bytes but data_offsets [{begin}, {end}] span {end - begin} bytes");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static long ReadNonNegative(JsonElement node, string path, string name, string field)
    {
        if (node.ValueKind == JsonValueKind.Number && node.TryGetInt64(out long value) && value >= 0)
            return value;
        throw new InvalidDataException(
            $"'{path}': tensor '{name}' has an invalid {field} value {node.GetRawText()} (expected a non-negative integer)");
    }

    /// <summary>The safetensors dtype name of a TorchSharp dtype, or null when the format has none supported here.</summary>
    internal static string? DTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => null,
    };

    private static ScalarType? ParseDType(string name) => name switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => null,
    };

    private static long ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    internal static string Describe(long[] shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
