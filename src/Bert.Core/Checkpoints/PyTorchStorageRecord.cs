using System.IO.Compression;
using static TorchSharp.torch;

namespace Bert.Core.Checkpoints;

/// <summary>
/// A storage named by a <c>torch.save</c> persistent id <c>('storage', torch.FloatStorage, key, location, numel)</c>:
/// its element type and count, and the zip entry <c>&lt;archive&gt;/data/&lt;key&gt;</c> holding its little-endian bytes
/// (already checked to be exactly <see cref="Numel"/> elements long).
/// </summary>
internal sealed record PyTorchStorageRecord(string Key, ScalarType DType, long ElementSize, long Numel, ZipArchiveEntry Entry);
