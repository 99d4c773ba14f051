using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Bert.Core;

/// <summary>
/// libtorch's per-tensor version counter, which TorchSharp does not expose: every in-place libtorch operation on a
/// tensor (<c>copy_</c>, <c>add_</c>, <c>load_state_dict</c>, an optimizer's step) adds one to it. Caches derived from a
/// tensor's values (<see cref="Modeling.PackedLinearWeights"/>) compare it to see whether the values changed. Writes
/// that go around libtorch (through <c>Tensor.bytes</c>) are not counted unless the writer calls <see cref="Bump"/>, as
/// <see cref="Optimization.AdamWarmup"/>'s fused step does.
/// </summary>
/// <remarks>
/// Three exported C++ functions of libtorch_cpu, called with a TorchSharp handle (a pointer to an <c>at::Tensor</c>, so
/// both <c>const at::Tensor&amp;</c> and <c>this</c> of a <c>TensorBase</c> member): <c>at::native::is_inference</c>,
/// <c>at::TensorBase::_version() const</c> and <c>torch::autograd::impl::bump_version</c>. The latter two throw a C++
/// exception for inference tensors (which have no counter), which must not cross into .NET: both are only called
/// after <c>is_inference</c> said false. Where the symbols are missing (another libtorch build) <see cref="Available"/>
/// is false and the caches are not used.
/// </remarks>
internal static unsafe class TensorVersions
{
    private sealed class Functions(nint isInference, nint version, nint bump)
    {
        public readonly delegate* unmanaged<nint, byte> IsInference = (delegate* unmanaged<nint, byte>)isInference;
        public readonly delegate* unmanaged<nint, long> Version = (delegate* unmanaged<nint, long>)version;
        public readonly delegate* unmanaged<nint, void> Bump = (delegate* unmanaged<nint, void>)bump;
    }

    private static readonly Lazy<Functions?> Resolved = new(Resolve);

    /// <summary>True when libtorch's version counter can be read here.</summary>
    public static bool Available => Resolved.Value is not null;

    /// <summary>
    /// The version of <paramref name="tensor"/>, or null for an inference tensor (made in inference mode: it has no
    /// counter) or when <see cref="Available"/> is false.
    /// </summary>
    public static long? Read(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (Resolved.Value is not { } f) return null;
        nint handle = tensor.Handle;
        if (f.IsInference(handle) != 0) return null;
        long version = f.Version(handle);
        GC.KeepAlive(tensor);
        return version;
    }

    /// <summary>Counts one in-place change of <paramref name="tensor"/> written around libtorch (nothing for inference tensors).</summary>
    public static void Bump(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (Resolved.Value is not { } f) return;
        nint handle = tensor.Handle;
        if (f.IsInference(handle) == 0) f.Bump(handle);
        GC.KeepAlive(tensor);
    }

    private static Functions? Resolve() =>
        NativeLibraries.LibtorchExports(
            "_ZN2at6native12is_inferenceERKNS_6TensorE",
            "_ZNK2at10TensorBase8_versionEv",
            "_ZN5torch8autograd4impl12bump_versionERKN2at6TensorE") is [var isInference, var version, var bump]
            ? new Functions(isInference, version, bump)
            : null;
}
