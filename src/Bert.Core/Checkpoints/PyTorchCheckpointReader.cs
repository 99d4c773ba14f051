using System.Globalization;
using System.IO.Compression;
using Bert.Tokenization;
using static TorchSharp.torch;

namespace Bert.Core.Checkpoints;

/// <summary>
/// Reads a state dict saved by <c>torch.save</c> (the zip format of PyTorch 1.6 and later, e.g. <c>pytorch_model.bin</c>)
/// without Python: <c>&lt;archive&gt;/data.pkl</c> is read by a restricted unpickler that rebuilds only tensors and
/// (ordered) dicts and runs nothing, and each tensor is rebuilt from <c>&lt;archive&gt;/data/&lt;key&gt;</c> with PyTorch's
/// as_strided semantics (storage offset, sizes and strides), so transposed views, Fortran-order arrays, slices with an
/// offset, expanded (stride 0) tensors and tensors sharing one storage load with the values PyTorch reads. Every tensor
/// comes back as its own contiguous CPU copy in the stored dtype (float32/64, float16, bfloat16, int64/32/16/8, uint8, bool).
/// </summary>
public static class PyTorchCheckpointReader
{
    /// <summary>
    /// A tensor may repeat elements of its storage (stride 0, as <c>expand</c> does) up to this many elements beyond the
    /// storage's own length; beyond it the file is refused rather than materialised.
    /// </summary>
    public const long MaxExpandedElements = 1L << 24;

    /// <summary>Reads the tensors of a <c>torch.save</c>d state dict; entries that are not tensors are left out. The caller disposes the tensors.</summary>
    /// <param name="path">A <c>.bin</c>/<c>.pt</c>/<c>.pth</c> file written by <c>torch.save(state_dict, path)</c>.</param>
    /// <returns>Name -> contiguous CPU tensor, in the order of the state dict.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a <c>torch.save</c> zip (the legacy pre-1.6 format included), the pickle uses anything but tensors
    /// and dicts, a storage entry is missing or of the wrong size, or a tensor's sizes and strides reach past its storage
    /// or are negative; the message names the file (and the tensor).
    /// </exception>
    public static Dictionary<string, Tensor> Read(string path) => Read(path, null);

    /// <summary>Reads the tensors of a <c>torch.save</c>d state dict from a seekable stream; see <see cref="Read(string)"/>.</summary>
    /// <param name="stream">The zip bytes; must be readable and seekable. It is left open.</param>
    /// <param name="name">Names the source in messages (a file name).</param>
    /// <exception cref="ArgumentException">The stream is not readable and seekable.</exception>
    /// <exception cref="InvalidDataException">See <see cref="Read(string)"/>.</exception>
    public static Dictionary<string, Tensor> Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("The stream must be readable and seekable (a torch.save file is a zip archive)", nameof(stream));
        return Read(stream, name, null);
    }

    /// <summary>As <see cref="Read(string)"/>, adding a record for each entry that is not a tensor to <paramref name="skipped"/>.</summary>
    internal static Dictionary<string, Tensor> Read(string path, ICollection<CheckpointTensorRecord>? skipped)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!SaveSnapshot.FileExists(path))
            throw new FileNotFoundException($"PyTorch checkpoint '{path}' not found", path);
        using var stream = SaveSnapshot.OpenRead(path, 1 << 16);
        return Read(stream, path, skipped);
    }

    /// <summary>
    /// The names and shapes of the tensors in a <c>torch.save</c>d state dict, from its pickle alone (no storage is
    /// read or allocated), so that a config can be checked against the file before a model is built.
    /// </summary>
    internal static List<(string Name, long[] Shape)> ReadShapes(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!SaveSnapshot.FileExists(path))
            throw new FileNotFoundException($"PyTorch checkpoint '{path}' not found", path);
        using var stream = SaveSnapshot.OpenRead(path, 1 << 16);
        return WithRecords(stream, path, null, (names, records, _) => names.Zip(records, (n, r) => (n, r.Size)).ToList());
    }

    private static Dictionary<string, Tensor> Read(Stream stream, string path, ICollection<CheckpointTensorRecord>? skipped)
    {
        TorchRuntime.EnsureAvailable();
        return WithRecords(stream, path, skipped, Materialise);
    }

    /// <summary>Opens the archive, unpickles the state dict into checked tensor records and hands them to <paramref name="use"/>.</summary>
    private static T WithRecords<T>(Stream stream, string path, ICollection<CheckpointTensorRecord>? skipped,
        Func<List<string>, List<PyTorchTensorRecord>, string, T> use)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Reading torch.save files needs a little-endian machine");
        string file = $"'{path}'";
        using var archive = OpenArchive(stream, file);
        var (prefix, pickle) = FindPickle(archive, file);
        CheckByteOrder(archive, prefix, stream.Length, file);
        byte[] pickleBytes = ReadEntry(pickle, stream.Length, file);

        var storages = new Dictionary<string, PyTorchStorageRecord>(StringComparer.Ordinal);
        PyTorchStorageRecord Resolve(string key, ScalarType dtype, long numel)
        {
            if (storages.TryGetValue(key, out var known))
            {
                if (known.DType != dtype || known.Numel != numel)
                    throw new InvalidDataException($"{file}: storage '{key}' is named as {known.DType}[{known.Numel}] and as {dtype}[{numel}]");
                return known;
            }
            string entryName = $"{prefix}/data/{key}";
            var entry = archive.GetEntry(entryName)
                ?? throw new InvalidDataException($"{file}: storage '{key}' has no data entry '{entryName}' in the archive (truncated or incomplete save?)");
            long elementSize = RestrictedUnpickler.ElementSize(dtype);
            long expected = numel > long.MaxValue / elementSize ? -1 : numel * elementSize;
            CheckEntrySize(entry, stream.Length, file);
            if (expected != entry.Length)
                throw new InvalidDataException(
                    $"{file}: storage '{key}' declares {numel.ToString(CultureInfo.InvariantCulture)} {dtype} elements ({expected.ToString(CultureInfo.InvariantCulture)} bytes), but '{entryName}' holds {entry.Length.ToString(CultureInfo.InvariantCulture)} bytes");
            var record = new PyTorchStorageRecord(key, dtype, elementSize, numel, entry);
            storages[key] = record;
            return record;
        }

        var root = RestrictedUnpickler.Load(pickleBytes, $"{file} ({pickle.FullName})", Resolve);
        if (root is not RestrictedUnpickler.PickleDict dict)
            throw new InvalidDataException($"{file} holds {RestrictedUnpickler.Describe(root)}, not a state dict (a dict of tensors)");

        var names = new List<string>();
        var records = new List<PyTorchTensorRecord>();
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name)
                throw new InvalidDataException($"{file}: the state dict has a key that is {RestrictedUnpickler.Describe(key)}, not a string");
            if (value is PyTorchTensorRecord record)
            {
                Validate(record, name, file);
                names.Add(name);
                records.Add(record);
            }
            else
            {
                skipped?.Add(new CheckpointTensorRecord(name, [], $"not a tensor ({RestrictedUnpickler.Describe(value)})"));
            }
        }
        return use(names, records, file);
    }

    private static ZipArchive OpenArchive(Stream stream, string file)
    {
        Span<byte> magic = stackalloc byte[2];
        long start = stream.Position;
        int read = stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        stream.Position = start;
        if (read == 2 && magic[0] == 0x80 && magic[1] == 0x02)
            throw new InvalidDataException(
                $"{file} is not a readable PyTorch state dict: it is in the legacy torch.save format (before PyTorch 1.6); re-save it with torch>=1.6 (torch.save(torch.load(f), f))");
        ZipArchive? archive = null;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            _ = archive.Entries.Count; // the central directory is read here, not lazily later
            return archive;
        }
        catch (InvalidDataException ex)
        {
            archive?.Dispose();
            throw new InvalidDataException($"{file} is not a readable PyTorch state dict (torch.save zip format): {ex.Message}", ex);
        }
    }

    private static (string Prefix, ZipArchiveEntry Pickle) FindPickle(ZipArchive archive, string file)
    {
        var pickles = archive.Entries
            .Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length)
            .ToList();
        if (pickles.Count != 1)
            throw new InvalidDataException(
                $"{file} is not a readable PyTorch state dict: expected one '<archive>/data.pkl' entry in the zip, found {pickles.Count}");
        return (pickles[0].FullName[..^"/data.pkl".Length], pickles[0]);
    }

    private static void CheckByteOrder(ZipArchive archive, string prefix, long archiveLength, string file)
    {
        var entry = archive.GetEntry(prefix + "/byteorder");
        if (entry is null) return; // PyTorch before 2.1 wrote none: little-endian
        if (entry.Length > 16)
            throw new InvalidDataException($"{file}: the byteorder record is {entry.Length} bytes long (expected 'little' or 'big')");
        string order = System.Text.Encoding.ASCII.GetString(ReadEntry(entry, archiveLength, file)).Trim();
        if (order != "little")
            throw new InvalidDataException(
                order == "big"
                    ? $"{file} was saved on a big-endian machine (byteorder 'big'); re-save it on a little-endian one"
                    : $"{file}: unknown byteorder record '{order}' (expected 'little' or 'big')");
    }

    /// <summary>Refuses entries whose declared sizes cannot be real before anything of that size is allocated.</summary>
    private static void CheckEntrySize(ZipArchiveEntry entry, long archiveLength, string file)
    {
        // A stored entry is as long as its compressed bytes; deflate expands at most about 1032 times.
        if (entry.CompressedLength > archiveLength || entry.Length < 0
            || entry.Length > Math.Max(entry.CompressedLength, 1) * 1100)
            throw new InvalidDataException(
                $"{file}: zip entry '{entry.FullName}' declares {entry.Length} bytes from {entry.CompressedLength} compressed bytes in a {archiveLength}-byte file (corrupt)");
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, long archiveLength, string file)
    {
        CheckEntrySize(entry, archiveLength, file);
        if (entry.Length > Array.MaxLength)
            throw new InvalidDataException($"{file}: zip entry '{entry.FullName}' is {entry.Length} bytes, too large to read");
        var bytes = new byte[entry.Length];
        try
        {
            using var data = entry.Open();
            data.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException or NotSupportedException)
        {
            throw new InvalidDataException($"{file}: zip entry '{entry.FullName}' cannot be read ({ex.Message})", ex);
        }
    }

    /// <summary>Checks sizes, strides and offset against the storage (as_strided's bounds), naming the tensor.</summary>
    private static void Validate(PyTorchTensorRecord record, string name, string file)
    {
        var (storage, offset, size, stride) = (record.Storage, record.Offset, record.Size, record.Stride);
        string Layout() => $"storage '{storage.Key}' of {storage.Numel} {storage.DType} elements, offset {offset}, size {SafeTensors.Describe(size)}, stride {SafeTensors.Describe(stride)}";
        if (offset < 0 || size.Any(s => s < 0))
            throw new InvalidDataException($"{file}: tensor '{name}' has a negative size or storage offset ({Layout()})");
        if (stride.Any(s => s < 0))
            throw new InvalidDataException($"{file}: tensor '{name}' has a negative stride, which PyTorch does not support ({Layout()})");
        long numel = 1;
        long last = offset;
        try
        {
            for (int i = 0; i < size.Length; i++)
            {
                numel = checked(numel * size[i]);
                if (size[i] > 0) last = checked(last + (size[i] - 1) * stride[i]);
            }
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{file}: tensor '{name}' has sizes and strides too large to exist ({Layout()})");
        }
        if (numel == 0) return; // an empty tensor reads nothing
        if (last >= storage.Numel)
            throw new InvalidDataException(
                $"{file}: tensor '{name}': storage shorter than its strides require (element {last} is needed; {Layout()})");
        if (numel > storage.Numel && numel - storage.Numel > MaxExpandedElements)
            throw new InvalidDataException(
                $"{file}: tensor '{name}' repeats its storage into {numel} elements (stride 0), more than {MaxExpandedElements} beyond the storage ({Layout()})");
    }

    /// <summary>Reads each storage once and copies every tensor viewing it into a contiguous tensor of its own.</summary>
    private static Dictionary<string, Tensor> Materialise(List<string> names, List<PyTorchTensorRecord> records, string file)
    {
        var tensors = new Tensor?[records.Count];
        try
        {
            foreach (var group in Enumerable.Range(0, records.Count).GroupBy(i => records[i].Storage.Key, StringComparer.Ordinal))
            {
                var storage = records[group.First()].Storage;
                using var all = ReadStorage(storage, file);
                foreach (int i in group)
                {
                    var record = records[i];
                    var tensor = empty(record.Size, storage.DType);
                    tensors[i] = tensor;
                    if (tensor.numel() == 0) continue;
                    using var view = all.as_strided(record.Size, record.Stride, record.Offset);
                    tensor.copy_(view);
                }
            }
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (int i = 0; i < names.Count; i++) result[names[i]] = tensors[i]!; // the names are the keys of one dict: distinct
            return result;
        }
        catch
        {
            foreach (var tensor in tensors) tensor?.Dispose();
            throw;
        }
    }

    /// <summary>A 1-D tensor holding a storage's elements, read in pieces of at most 1 GiB.</summary>
    private static Tensor ReadStorage(PyTorchStorageRecord storage, string file)
    {
        var tensor = empty(storage.Numel, storage.DType);
        try
        {
            if (storage.Numel == 0) return tensor;
            using var data = storage.Entry.Open();
            long chunk = (1L << 30) / storage.ElementSize;
            for (long start = 0; start < storage.Numel; start += chunk)
            {
                using var piece = tensor.narrow(0, start, Math.Min(chunk, storage.Numel - start));
                data.ReadExactly(piece.bytes);
            }
            return tensor;
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or IOException or NotSupportedException)
        {
            tensor.Dispose();
            throw new InvalidDataException($"{file}: zip entry '{storage.Entry.FullName}' (storage '{storage.Key}') cannot be read ({ex.Message})", ex);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }
}
