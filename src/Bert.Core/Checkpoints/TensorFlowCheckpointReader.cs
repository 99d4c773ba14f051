using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;
using Bert.Tokenization;
using TorchSharp;

namespace Bert.Core.Checkpoints;

/// <summary>
/// Reads a TensorFlow (V2, "tensor bundle") checkpoint in pure C#: the <c>prefix.index</c> LevelDB-format table of
/// <c>BundleEntryProto</c>s and the <c>prefix.data-NNNNN-of-NNNNN</c> shard files. The index is parsed and validated
/// when opening; tensor bytes are read lazily, one tensor at a time, and every read verifies the tensor's masked
/// CRC32C. Malformed files raise <see cref="InvalidDataException"/> naming the file (and the tensor when known);
/// missing files raise <see cref="FileNotFoundException"/>. Reads are thread-safe.
/// </summary>
/// <example>
/// <code>
/// using var ckpt = TensorFlowCheckpointReader.Open("uncased_L-12_H-768_A-12/bert_model.ckpt");
/// foreach (var t in ckpt.Tensors) Console.WriteLine(t);
/// float[] gamma = ckpt.ReadFloats("bert/embeddings/LayerNorm/gamma");
/// </code>
/// </example>
public sealed class TensorFlowCheckpointReader : IDisposable
{
    /// <summary>Index files larger than this are rejected (a BERT-large index with optimizer slots is about 100 KB).</summary>
    private const long MaxIndexBytes = 64L << 20;

    private readonly Dictionary<string, TensorFlowTensorInfo> _byName;
    private readonly Dictionary<int, SafeFileHandle> _shards = [];

    /// <summary>The shards read from a loader's <see cref="SaveSnapshot"/> (its handles, not closed here).</summary>
    private readonly HashSet<int> _borrowed = [];
    private readonly object _gate = new();
    private bool _disposed;

    private TensorFlowCheckpointReader(string prefix, string indexPath, long numShards, bool bigEndian, IReadOnlyList<TensorFlowTensorInfo> tensors)
    {
        IsBigEndian = bigEndian;
        Prefix = prefix;
        IndexPath = indexPath;
        NumShards = numShards;
        Tensors = tensors;
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The checkpoint prefix (the index path without <c>.index</c>).</summary>
    public string Prefix { get; }

    /// <summary>The full path of the <c>.index</c> file.</summary>
    public string IndexPath { get; }

    /// <summary>The number of data shards the header declares.</summary>
    public long NumShards { get; }

    /// <summary>
    /// True when the bundle was written on a big-endian machine; reads then swap each element to little-endian
    /// (after the CRC, which covers the stored bytes), as TensorFlow's BundleReader does.
    /// </summary>
    public bool IsBigEndian { get; }

    /// <summary>Every tensor of the checkpoint, sorted by name (ordinal byte order, as in the index).</summary>
    public IReadOnlyList<TensorFlowTensorInfo> Tensors { get; }

    /// <summary>The data file of a shard.</summary>
    public string DataPath(int shardId) => TensorBundleFiles.DataPath(Prefix, shardId, NumShards);

    /// <summary>
    /// Opens a checkpoint. <paramref name="prefixOrIndexPath"/> is the prefix (<c>.../model.ckpt-1400000</c>,
    /// <c>.../bert_model.ckpt</c>), the <c>.index</c> path, a data file path, or a folder: its <c>checkpoint</c> file's
    /// <c>model_checkpoint_path</c> when present, else its only <c>*.index</c> file.
    /// </summary>
    /// <exception cref="FileNotFoundException">The index or a data shard that an entry refers to is missing.</exception>
    /// <exception cref="InvalidDataException">The index is malformed or disagrees with the data files.</exception>
    public static TensorFlowCheckpointReader Open(string prefixOrIndexPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefixOrIndexPath);
        string prefix = Path.GetFullPath(TensorBundleFiles.ResolvePrefix(prefixOrIndexPath));
        string indexPath = TensorBundleFiles.IndexPath(prefix);
        if (!SaveSnapshot.FileExists(indexPath))
            throw new FileNotFoundException(
                $"TensorFlow checkpoint index '{indexPath}' not found (give the checkpoint prefix, e.g. '.../bert_model.ckpt', or its .index file)",
                indexPath);
        byte[] bytes = BoundedFile.ReadAllBytes(indexPath, MaxIndexBytes, "TensorFlow checkpoint index");

        List<KeyValuePair<byte[], byte[]>> entries;
        try
        {
            entries = LevelDbTableReader.ReadAll(bytes);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"Malformed TensorFlow checkpoint index '{indexPath}': {ex.Message}", ex);
        }
        if (entries.Count == 0 || entries[0].Key.Length != 0)
            throw new InvalidDataException($"Malformed TensorFlow checkpoint index '{indexPath}': the header entry (empty key) is missing");

        TensorBundleHeader header;
        try
        {
            header = TensorBundleHeader.Parse(entries[0].Value);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"Malformed TensorFlow checkpoint index '{indexPath}': {ex.Message}", ex);
        }
        ValidateHeader(header, indexPath);

        var tensors = new List<TensorFlowTensorInfo>(entries.Count - 1);
        var shardLengths = new Dictionary<int, long>();
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        for (int i = 1; i < entries.Count; i++)
        {
            var (key, value) = entries[i];
            if (key[0] == 0)
                continue; // a slice of a partitioned variable (TensorFlow's EncodeTensorNameSlice keys start with 0x00)
            string name;
            try
            {
                name = utf8.GetString(key);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException($"Malformed TensorFlow checkpoint index '{indexPath}': entry {i} has a key that is not UTF-8");
            }
            TensorBundleEntry entry;
            try
            {
                entry = TensorBundleEntry.Parse(value, $"entry of tensor '{name}'");
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"Malformed TensorFlow checkpoint index '{indexPath}': {ex.Message}", ex);
            }
            var info = Validate(entry, name, header.NumShards, indexPath);
            if (!shardLengths.TryGetValue(info.ShardId, out long shardLength))
            {
                string dataPath = TensorBundleFiles.DataPath(prefix, info.ShardId, header.NumShards);
                if (!SaveSnapshot.FileExists(dataPath))
                    throw new FileNotFoundException(
                        $"Data file '{dataPath}' of TensorFlow checkpoint '{indexPath}' not found (tensor '{name}' is in shard {info.ShardId})",
                        dataPath);
                shardLength = SaveSnapshot.HeldFile(dataPath)?.Length ?? new FileInfo(dataPath).Length;
                shardLengths[info.ShardId] = shardLength;
            }
            if (info.Offset > shardLength || info.Size > shardLength - info.Offset)
                throw new InvalidDataException(
                    $"Tensor '{name}' in '{indexPath}' declares bytes {info.Offset}..{info.Offset + info.Size} but data file " +
                    $"'{TensorBundleFiles.DataPath(prefix, info.ShardId, header.NumShards)}' has only {shardLength} bytes (truncated?)");
            tensors.Add(info);
        }
        return new TensorFlowCheckpointReader(prefix, indexPath, header.NumShards, header.Endianness == TensorBundleHeader.Big, tensors);
    }

    /// <summary>True when the checkpoint holds a tensor of that name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The entry of a tensor, or false when absent.</summary>
    public bool TryGetInfo(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorFlowTensorInfo? info) =>
        _byName.TryGetValue(name, out info);

    /// <summary>The entry of a tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public TensorFlowTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_byName.TryGetValue(name, out var info))
            throw new KeyNotFoundException($"TensorFlow checkpoint '{IndexPath}' has no tensor '{name}' ({Tensors.Count} tensors)");
        return info;
    }

    /// <summary>The bytes of a tensor, CRC-checked, little-endian (row-major, as TensorFlow stores them).</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    /// <exception cref="InvalidDataException">The CRC32C does not match or the data file is shorter than the entry says.</exception>
    public byte[] ReadBytes(string name)
    {
        var info = GetInfo(name);
        if (info.Size > Array.MaxLength)
            throw new NotSupportedException($"Tensor '{name}' in '{IndexPath}' is {info.Size} bytes, more than one .NET array holds");
        var buffer = GC.AllocateUninitializedArray<byte>((int)info.Size);
        ReadInto(info, buffer);
        return buffer;
    }

    /// <summary>
    /// The values of a floating-point tensor as float32, row-major: float32 as stored, float16 and bfloat16 converted.
    /// </summary>
    /// <exception cref="NotSupportedException">The tensor is not float32, float16 or bfloat16.</exception>
    public float[] ReadFloats(string name)
    {
        var info = GetInfo(name);
        if (info.DType is not (TensorFlowDType.Float32 or TensorFlowDType.Float16 or TensorFlowDType.BFloat16))
            throw new NotSupportedException(
                $"Tensor '{name}' in '{IndexPath}' has dtype {info.DType}; ReadFloats reads float32, float16 and bfloat16 (use ReadBytes or ReadTensor)");
        if (info.DType == TensorFlowDType.Float32)
        {
            if (info.Size / 4 > Array.MaxLength)
                throw new NotSupportedException($"Tensor '{name}' in '{IndexPath}' has more elements than one .NET array holds");
            var floats = GC.AllocateUninitializedArray<float>((int)(info.Size / 4));
            ReadInto(info, MemoryMarshal.AsBytes(floats.AsSpan())); // straight into the result, no extra copy
            return floats;
        }
        var bytes = ReadBytes(name);
        switch (info.DType)
        {
            case TensorFlowDType.Float16:
            {
                var half = MemoryMarshal.Cast<byte, Half>(bytes);
                var result = new float[half.Length];
                for (int i = 0; i < half.Length; i++) result[i] = (float)half[i];
                return result;
            }
            default:
            {
                var bf = MemoryMarshal.Cast<byte, ushort>(bytes);
                var result = new float[bf.Length];
                for (int i = 0; i < bf.Length; i++) result[i] = BitConverter.UInt32BitsToSingle((uint)bf[i] << 16);
                return result;
            }
        }
    }

    /// <summary>
    /// The tensor as a CPU TorchSharp tensor of the checkpoint's dtype (float32, float16, bfloat16, float64, int64,
    /// int32, int16, int8, uint8, bool) and shape. The caller owns (disposes) it.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The dtype has no TorchSharp counterpart (strings, resources, variants, quantized, complex, unknown numbers): such
    /// a tensor cannot be a weight; the message names the tensor, its dtype and the file.
    /// </exception>
    /// <exception cref="NotSupportedException">The tensor is larger than 2 GB.</exception>
    public torch.Tensor ReadTensor(string name)
    {
        var info = GetInfo(name);
        var scalar = info.DType.ToScalarType()
            ?? throw new InvalidDataException(
                $"Tensor '{name}' in '{IndexPath}' has dtype {DescribeDType(info.DType)}, which has no tensor counterpart (float, int and bool tensors are readable)");
        if (info.Size > int.MaxValue)
            throw new NotSupportedException($"Tensor '{name}' in '{IndexPath}' is {info.Size} bytes; tensors over 2 GB are not supported");
        TorchRuntime.EnsureAvailable();
        var tensor = torch.empty(info.Shape, scalar);
        try
        {
            if (info.Size > 0)
                ReadInto(info, tensor.bytes);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>Closes the data files.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var (shardId, h) in _shards)
            {
                if (!_borrowed.Contains(shardId)) h.Dispose();   // a snapshot's handle stays the snapshot's
            }
        }
    }

    private void ReadInto(TensorFlowTensorInfo info, Span<byte> destination)
    {
        var handle = Shard(info.ShardId);
        string path = DataPath(info.ShardId);
        int done = 0;
        while (done < destination.Length)
        {
            int n = RandomAccess.Read(handle, destination[done..], info.Offset + done);
            if (n == 0)
                throw new InvalidDataException(
                    $"Data file '{path}' ended after {info.Offset + done} bytes while reading tensor '{info.Name}' (bytes {info.Offset}..{info.Offset + info.Size})");
            done += n;
        }
        uint actual = Crc32C.Mask(Crc32C.Compute(destination));
        if (actual != info.Crc32C)
            throw new InvalidDataException(
                $"CRC32C mismatch for tensor '{info.Name}' in file '{path}' (stored 0x{info.Crc32C:x8}, computed 0x{actual:x8}): the checkpoint is corrupt");
        if (IsBigEndian)
            SwapToLittleEndian(info.DType, destination);
    }

    /// <summary>A dtype's name, or its number when TensorFlow's enum (as known here) has no such value.</summary>
    internal static string DescribeDType(TensorFlowDType dtype) =>
        Enum.IsDefined(dtype) ? dtype.ToString() : $"{(int)dtype} (unknown)";

    private static void SwapToLittleEndian(TensorFlowDType dtype, Span<byte> data)
    {
        int size = dtype switch
        {
            TensorFlowDType.Complex64 => 4, // two float32 components
            TensorFlowDType.Complex128 => 8,
            _ => dtype.ElementSize(),
        };
        if (size <= 1) return;
        for (int i = 0; i + size <= data.Length; i += size)
            data.Slice(i, size).Reverse();
    }

    private SafeFileHandle Shard(int shardId)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_shards.TryGetValue(shardId, out var handle))
            {
                string path = DataPath(shardId);
                if (SaveSnapshot.HeldFile(path) is { } held)
                {
                    // A saved folder read under a loader's snapshot: the data file it verified.
                    handle = held.Handle;
                    _borrowed.Add(shardId);
                }
                else
                {
                    if (!File.Exists(path))
                        throw new FileNotFoundException($"Data file '{path}' of TensorFlow checkpoint '{IndexPath}' has disappeared", path);
                    handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
                }
                _shards[shardId] = handle;
            }
            return handle;
        }
    }

    private static void ValidateHeader(TensorBundleHeader header, string indexPath)
    {
        if (header.NumShards <= 0)
            throw new InvalidDataException($"Malformed TensorFlow checkpoint index '{indexPath}': the header declares {header.NumShards} shards");
        if (header.Endianness is not (TensorBundleHeader.Little or TensorBundleHeader.Big))
            throw new InvalidDataException(
                $"Malformed TensorFlow checkpoint index '{indexPath}': unknown endianness {header.Endianness} in the header");
        if (header.MinConsumer > TensorBundleHeader.CurrentVersion || header.BadConsumers.Contains(TensorBundleHeader.CurrentVersion))
            throw new InvalidDataException(
                $"TensorFlow checkpoint '{indexPath}' needs a newer reader (bundle format producer {header.Producer}, min_consumer {header.MinConsumer})");
    }

    private static TensorFlowTensorInfo Validate(TensorBundleEntry entry, string name, long numShards, string indexPath)
    {
        string where = $"tensor '{name}' in '{indexPath}'";
        if (entry.DType <= 0)
            throw new InvalidDataException($"Invalid dtype {entry.DType} for {where}");
        if (entry.HasSlices)
            throw new InvalidDataException($"Partitioned (sliced) variables are not supported: {where}");
        if (entry.UnknownRank)
            throw new InvalidDataException($"Unknown-rank shape for {where}");
        if (entry.ShardId < 0 || entry.ShardId >= numShards)
            throw new InvalidDataException($"Shard id {entry.ShardId} of {where} is outside the header's {numShards} shards");
        if (entry.Offset < 0 || entry.Size < 0)
            throw new InvalidDataException($"Negative offset {entry.Offset} or size {entry.Size} for {where}");
        long count = 1;
        foreach (long d in entry.Shape)
        {
            if (d < 0)
                throw new InvalidDataException($"Negative dimension {d} in the shape of {where}");
            if (d != 0 && count > long.MaxValue / d)
                throw new InvalidDataException($"The shape [{string.Join(", ", entry.Shape)}] of {where} overflows 64 bits");
            count *= d;
        }
        var dtype = (TensorFlowDType)entry.DType;
        int elementSize = dtype.ElementSize();
        if (elementSize > 0 && (count > long.MaxValue / elementSize || count * elementSize != entry.Size))
            throw new InvalidDataException(
                $"The shape [{string.Join(", ", entry.Shape)}] and dtype {dtype} of {where} need {(count > long.MaxValue / elementSize ? "more than 2^63" : (count * elementSize).ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes but the entry declares {entry.Size}");
        return new TensorFlowTensorInfo(name, dtype, entry.Shape, (int)entry.ShardId, entry.Offset, entry.Size, entry.Crc32C);
    }
}
