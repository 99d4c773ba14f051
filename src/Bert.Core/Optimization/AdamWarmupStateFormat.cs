using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bert.Core.Optimization;

/// <summary>
/// The binary layout of an <see cref="AdamWarmup"/> state (little-endian):
/// <c>"BertNET.AdamWarmup"</c> (ASCII), int32 version 1, int64 step count, byte has-grad-norm + float64 grad norm,
/// byte amsgrad, int32 tensor count; per tensor: name (length-prefixed UTF-8, empty when unnamed), int32 dtype
/// (libtorch <c>ScalarType</c>), int32 rank, int64 dimensions; then per tensor the raw elements of <c>m</c>, <c>v</c> and,
/// with AMSGrad, <c>vhat</c>; then <c>"END."</c>. All headers come before the data, so a load checks every name and
/// shape before it reads a tensor.
/// </summary>
internal static class AdamWarmupStateFormat
{
    private const int Version = 1;
    private const long CopyChunkElements = 1 << 24;
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("BertNET.AdamWarmup");
    private static readonly byte[] Trailer = Encoding.ASCII.GetBytes("END.");

    internal sealed record Snapshot(long StepCount, double? LastGradNorm, string[]? Names, Tensor[] M, Tensor[] V, Tensor[]? VMax);

    public static void Write(Stream stream, Snapshot s)
    {
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(s.StepCount);
        writer.Write(s.LastGradNorm.HasValue);
        writer.Write(s.LastGradNorm ?? 0.0);
        writer.Write(s.VMax is not null);
        writer.Write(s.M.Length);
        for (var i = 0; i < s.M.Length; i++)
        {
            writer.Write(s.Names?[i] ?? "");
            writer.Write((int)s.M[i].dtype);
            var shape = s.M[i].shape;
            writer.Write(shape.Length);
            foreach (var d in shape) writer.Write(d);
        }
        writer.Flush();
        for (var i = 0; i < s.M.Length; i++)
        {
            WriteTensor(stream, s.M[i]);
            WriteTensor(stream, s.V[i]);
            if (s.VMax is not null) WriteTensor(stream, s.VMax[i]);
        }
        stream.Write(Trailer);
    }

    public static Snapshot Read(Stream stream, Parameter[] parameters, string[]? names, bool amsgrad)
    {
        try
        {
            return ReadChecked(stream, parameters, names, amsgrad);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("The AdamWarmup state is truncated.", ex);
        }
    }

    private static Snapshot ReadChecked(Stream stream, Parameter[] parameters, string[]? names, bool amsgrad)
    {
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        var magic = reader.ReadBytes(Magic.Length);
        if (!magic.AsSpan().SequenceEqual(Magic))
            throw new InvalidDataException("This is not an AdamWarmup state (it does not start with \"BertNET.AdamWarmup\").");
        var version = reader.ReadInt32();
        if (version != Version)
            throw new InvalidDataException($"The AdamWarmup state has format version {version}; this library reads version {Version}.");
        var stepCount = reader.ReadInt64();
        if (stepCount < 0)
            throw new InvalidDataException($"The AdamWarmup state has a negative step count ({stepCount}).");
        var hasNorm = reader.ReadBoolean();
        var norm = reader.ReadDouble();
        var savedAmsgrad = reader.ReadBoolean();
        if (savedAmsgrad != amsgrad)
            throw new InvalidDataException(
                $"The AdamWarmup state was saved with Amsgrad = {savedAmsgrad} but this optimizer has Amsgrad = {amsgrad}.");
        var count = reader.ReadInt32();
        if (count != parameters.Length)
            throw new InvalidDataException(
                $"The AdamWarmup state holds {count} parameter tensors but this optimizer has {parameters.Length}.");

        for (var i = 0; i < count; i++)
        {
            var savedName = reader.ReadString();
            var dtype = (ScalarType)reader.ReadInt32();
            var rank = reader.ReadInt32();
            if (rank < 0 || rank > 64)
                throw new InvalidDataException($"Tensor #{i} '{savedName}' of the AdamWarmup state has rank {rank}.");
            var shape = new long[rank];
            for (var d = 0; d < rank; d++) shape[d] = reader.ReadInt64();

            var p = parameters[i];
            var label = names is null ? (savedName.Length > 0 ? $" '{savedName}'" : "") : $" '{names[i]}'";
            if (names is not null && savedName.Length > 0 && savedName != names[i])
                throw new InvalidDataException(
                    $"Tensor #{i} of the AdamWarmup state belongs to parameter '{savedName}' but this optimizer's parameter #{i} is '{names[i]}'.");
            if (!shape.SequenceEqual(p.shape))
                throw new InvalidDataException(
                    $"Tensor #{i}{label} of the AdamWarmup state has shape [{string.Join(", ", shape)}] but the parameter has [{string.Join(", ", p.shape)}].");
            if (dtype != p.dtype)
                throw new InvalidDataException($"Tensor #{i}{label} of the AdamWarmup state is {dtype} but the parameter is {p.dtype}.");
        }

        var m = new Tensor[count];
        var v = new Tensor[count];
        var vMax = amsgrad ? new Tensor[count] : null;
        var done = false;
        try
        {
            for (var i = 0; i < count; i++)
            {
                m[i] = ReadTensor(stream, parameters[i]);
                v[i] = ReadTensor(stream, parameters[i]);
                if (vMax is not null) vMax[i] = ReadTensor(stream, parameters[i]);
            }
            var trailer = reader.ReadBytes(Trailer.Length);
            if (!trailer.AsSpan().SequenceEqual(Trailer))
                throw new InvalidDataException("The AdamWarmup state does not end where its header says (corrupt or truncated).");
            done = true;
        }
        finally
        {
            if (!done)
            {
                foreach (var t in m) t?.Dispose();
                foreach (var t in v) t?.Dispose();
                if (vMax is not null) foreach (var t in vMax) t?.Dispose();
            }
        }
        return new Snapshot(stepCount, hasNorm ? norm : null, names, m, v, vMax);
    }

    private static void WriteTensor(Stream stream, Tensor tensor)
    {
        using var scope = NewDisposeScope();
        var flat = tensor.detach().cpu().contiguous().reshape(-1);
        var numel = flat.numel();
        for (long start = 0; start < numel; start += CopyChunkElements)
        {
            var chunk = flat.narrow(0, start, Math.Min(CopyChunkElements, numel - start));
            stream.Write(chunk.bytes);
        }
    }

    private static Tensor ReadTensor(Stream stream, Parameter like)
    {
        using var scope = NewDisposeScope();
        var cpuTensor = empty(like.shape, like.dtype, CPU);
        var flat = cpuTensor.reshape(-1);
        var numel = flat.numel();
        for (long start = 0; start < numel; start += CopyChunkElements)
        {
            var chunk = flat.narrow(0, start, Math.Min(CopyChunkElements, numel - start));
            stream.ReadExactly(chunk.bytes);
        }
        var result = like.device_type == DeviceType.CPU ? cpuTensor : cpuTensor.to(like.device);
        return result.MoveToOuterDisposeScope().DetachFromDisposeScope();
    }
}
