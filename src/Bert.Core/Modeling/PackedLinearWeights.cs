using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Modeling;

/// <summary>
/// A copy of a linear layer's weight (out, in) laid out for <see cref="PackedGemm"/>: panels of
/// <see cref="PackedGemm.PanelWidth"/> output features, each stored input-feature-major (for every input feature the
/// panel's 16 weights side by side), in 64-byte aligned native memory. Made once and reused while the weight keeps its
/// memory, shape and libtorch version (<see cref="TensorVersions"/>): an optimizer step, <c>copy_</c> or
/// <c>load_state_dict</c> makes the next product pack it again.
/// </summary>
internal sealed unsafe class PackedLinearWeights : IDisposable
{
    private float* data;

    private PackedLinearWeights(float* data, int outFeatures, int inFeatures, nint source, long version)
    {
        this.data = data;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        Source = source;
        Version = version;
    }

    ~PackedLinearWeights() => Free();

    /// <summary>Output features (a multiple of <see cref="PackedGemm.PanelWidth"/>).</summary>
    public int OutFeatures { get; }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>The packed values: panel p, input feature k, lane j at <c>(p * InFeatures + k) * 16 + j</c>.</summary>
    public float* Data => data != null ? data : throw new ObjectDisposedException(nameof(PackedLinearWeights));

    private nint Source { get; }

    private long Version { get; }

    /// <summary>
    /// Whether <paramref name="weight"/> can be packed: a float32, contiguous CPU matrix whose row count is a multiple of
    /// <see cref="PackedGemm.PanelWidth"/> and whose version libtorch tracks (not an inference tensor).
    /// </summary>
    public static bool CanPack(Tensor weight) =>
        weight.dtype == ScalarType.Float32 && weight.device_type == DeviceType.CPU && weight.dim() == 2
        && weight.size(0) is > 0 and <= int.MaxValue / 2 && weight.size(0) % PackedGemm.PanelWidth == 0
        && weight.size(1) is > 0 and <= int.MaxValue / 64
        && weight.is_contiguous() && TensorVersions.Read(weight) is not null;

    /// <summary>True when this copy still holds <paramref name="weight"/>'s values (same memory, sizes and version).</summary>
    public bool Matches(Tensor weight) =>
        data != null && weight.size(0) == OutFeatures && weight.size(1) == InFeatures
        && Address(weight) == Source && TensorVersions.Read(weight) == Version;

    /// <summary>Packs <paramref name="weight"/>, which <see cref="CanPack"/> accepted.</summary>
    public static PackedLinearWeights Pack(Tensor weight)
    {
        int n = checked((int)weight.size(0)), k = checked((int)weight.size(1));
        long version = TensorVersions.Read(weight) ?? throw new InvalidOperationException("The weight's version is not tracked.");
        const int width = PackedGemm.PanelWidth;
        var packed = (float*)NativeMemory.AlignedAlloc((nuint)((long)n * k * sizeof(float)), 64);
        float* w = (float*)Address(weight);
        for (int p = 0; p < n / width; p++)
        {
            float* panel = packed + (long)p * k * width;
            for (int j = 0; j < width; j++)
            {
                float* row = w + (long)(p * width + j) * k;
                for (int i = 0; i < k; i++) panel[(long)i * width + j] = row[i];
            }
        }
        GC.KeepAlive(weight);
        return new PackedLinearWeights(packed, n, k, (nint)w, version);
    }

    /// <summary>The address of a contiguous CPU tensor's first element.</summary>
    internal static nint Address(Tensor tensor) =>
        (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));

    /// <summary>Frees the native copy.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (data == null) return;
        NativeMemory.AlignedFree(data);
        data = null;
    }
}
