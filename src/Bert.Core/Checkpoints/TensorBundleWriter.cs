using System.Text;
using TorchSharp;

namespace Bert.Core.Checkpoints;

/// <summary>
/// Writes a TensorFlow V2 checkpoint (tensor bundle) the way TensorFlow's <c>BundleWriter</c> does: tensor bytes are
/// appended to the data file in the order of <see cref="Add(string, TensorFlowDType, ReadOnlySpan{long}, ReadOnlySpan{byte})"/>
/// calls, each with its masked CRC32C; <see cref="Finish"/> writes <c>prefix.index</c>, a LevelDB table whose
/// first entry (key "") is the BundleHeaderProto and then one BundleEntryProto per tensor in name order. Files are
/// written under temporary names and renamed when complete (data files first, the index last), so a reader never
/// sees a half-written checkpoint; disposing without <see cref="Finish"/> deletes the temporary files.
/// </summary>
/// <example>
/// <code>
/// using var writer = new TensorBundleWriter("out/model.ckpt-1000");
/// writer.Add("bert/pooler/dense/bias", poolerBias);   // a TorchSharp tensor
/// writer.Finish();
/// </code>
/// </example>
public sealed class TensorBundleWriter : IDisposable
{
    private const int BufferSize = 1 << 20;
    private readonly TensorBundleWriterOptions _options;
    private readonly string[] _tempData;
    private readonly FileStream?[] _data;
    private readonly long[] _shardBytes;
    private readonly Dictionary<string, TensorBundleEntry> _entries = new(StringComparer.Ordinal);
    private bool _finished;
    private bool _failed;
    private bool _disposed;

    /// <summary>Starts a bundle at <paramref name="prefix"/> (e.g. <c>out/model.ckpt-1000</c>), creating its folder if needed.</summary>
    public TensorBundleWriter(string prefix, TensorBundleWriterOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _options = options ?? new TensorBundleWriterOptions();
        _options.Validate();
        Prefix = Path.GetFullPath(prefix);
        string? dir = Path.GetDirectoryName(Prefix);
        if (dir is not null)
            Directory.CreateDirectory(dir); // as TensorFlow's BundleWriter does
        int n = _options.NumShards;
        _tempData = new string[n];
        _data = new FileStream?[n];
        _shardBytes = new long[n];
        string tag = Guid.NewGuid().ToString("N");
        try
        {
            for (int i = 0; i < n; i++)
            {
                _tempData[i] = TensorBundleFiles.DataPath(Prefix, i, n) + ".tempstate" + tag;
                _data[i] = new FileStream(_tempData[i], FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize);
            }
        }
        catch
        {
            Abandon();
            throw;
        }
    }

    /// <summary>The checkpoint prefix (full path).</summary>
    public string Prefix { get; }

    /// <summary>The index path written by <see cref="Finish"/>.</summary>
    public string IndexPath => TensorBundleFiles.IndexPath(Prefix);

    /// <summary>The number of tensors added so far.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Adds a tensor from its raw little-endian bytes (row-major). <paramref name="data"/> must hold exactly the
    /// element count of <paramref name="shape"/> times the dtype's element size.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty or already added, the dtype is not fixed-width, or the sizes disagree.</exception>
    public void Add(string name, TensorFlowDType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished) throw new InvalidOperationException($"The bundle '{Prefix}' is already finished");
        if (_failed) throw new InvalidOperationException($"An earlier write to the bundle '{Prefix}' failed; dispose this writer and start again");
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name[0] == '\0')
            throw new ArgumentException("Tensor names must not start with NUL (reserved for slice keys)", nameof(name));
        if (_entries.ContainsKey(name))
            throw new ArgumentException($"Tensor '{name}' was already added to '{Prefix}'", nameof(name));
        int elementSize = dtype.ElementSize();
        if (elementSize == 0)
            throw new ArgumentException($"Tensor '{name}': dtype {dtype} is not a fixed-width type the writer supports", nameof(dtype));
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"Tensor '{name}': negative dimension {d}", nameof(shape));
            count = checked(count * d);
        }
        if (checked(count * elementSize) != data.Length)
            throw new ArgumentException(
                $"Tensor '{name}': shape [{string.Join(", ", shape.ToArray())}] of {dtype} needs {count * elementSize} bytes, got {data.Length}", nameof(data));

        int shard = 0;
        for (int i = 1; i < _shardBytes.Length; i++)
            if (_shardBytes[i] < _shardBytes[shard]) shard = i;
        var stream = _data[shard]!;
        long offset = _shardBytes[shard];
        try
        {
            stream.Write(data);
        }
        catch
        {
            _failed = true; // the data file may hold part of the tensor: offsets after it would be wrong
            throw;
        }
        _shardBytes[shard] += data.Length;
        _entries.Add(name, new TensorBundleEntry
        {
            DType = (int)dtype, Shape = shape.ToArray(), ShardId = shard, Offset = offset, Size = data.Length,
            Crc32C = Crc32C.Mask(Crc32C.Compute(data)),
        });
    }

    /// <summary>Adds a TorchSharp tensor (any device, any layout; copied to CPU contiguous memory), keeping its dtype.</summary>
    /// <exception cref="ArgumentException">The dtype has no TensorFlow counterpart the writer supports (e.g. complex).</exception>
    public void Add(string name, torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        TorchRuntime.EnsureAvailable();
        var dtype = TensorFlowDTypeExtensions.FromScalarType(tensor.dtype)
            ?? throw new ArgumentException($"Tensor '{name}': dtype {tensor.dtype} cannot be written to a TensorFlow checkpoint", nameof(tensor));
        using var detached = tensor.detach();
        using var cpu = detached.cpu();
        using var contiguous = cpu.contiguous();
        var bytes = contiguous.NumberOfElements == 0 ? Span<byte>.Empty : contiguous.bytes;
        Add(name, dtype, contiguous.shape, bytes);
    }

    /// <summary>Adds a float32 tensor from its values (row-major).</summary>
    public void Add(string name, ReadOnlySpan<float> values, params long[] shape) =>
        Add(name, TensorFlowDType.Float32, shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));

    /// <summary>Writes the index and renames every file into place. No tensor can be added afterwards.</summary>
    public void Finish()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_finished) return;
        if (_failed) throw new InvalidOperationException($"An earlier write to the bundle '{Prefix}' failed; nothing was written");
        string tempIndex = IndexPath + ".tempstate" + Guid.NewGuid().ToString("N");
        try
        {
            for (int i = 0; i < _data.Length; i++)
            {
                _data[i]!.Flush(flushToDisk: true);
                _data[i]!.Dispose();
                _data[i] = null;
            }
            using (var index = new FileStream(tempIndex, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                WriteIndex(index);
                index.Flush(flushToDisk: true);
            }
            for (int i = 0; i < _data.Length; i++)
                File.Move(_tempData[i], TensorBundleFiles.DataPath(Prefix, i, _data.Length), overwrite: true);
            File.Move(tempIndex, IndexPath, overwrite: true);
            _finished = true;
        }
        catch
        {
            TryDelete(tempIndex);
            Abandon();
            throw;
        }
    }

    /// <summary>Closes the files; without a prior <see cref="Finish"/>, deletes the temporary files.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        if (!_finished) Abandon();
        _disposed = true;
    }

    private void WriteIndex(Stream output)
    {
        var table = new LevelDbTableBuilder(output);
        var header = new TensorBundleHeader(_data.Length, TensorBundleHeader.Little, TensorBundleHeader.CurrentVersion, 0, []);
        table.Add([], header.Serialize());
        var sorted = _entries.Select(kv => (Key: Encoding.UTF8.GetBytes(kv.Key), kv.Value)).ToList();
        sorted.Sort((a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key));
        foreach (var (key, entry) in sorted)
            table.Add(key, entry.Serialize());
        table.Finish();
    }

    private void Abandon()
    {
        for (int i = 0; i < _data.Length; i++)
        {
            _data[i]?.Dispose();
            _data[i] = null;
            if (_tempData[i] is not null) TryDelete(_tempData[i]);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
