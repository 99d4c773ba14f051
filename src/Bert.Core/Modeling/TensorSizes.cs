using static TorchSharp.torch;

namespace Bert.Core.Modeling;

/// <summary>
/// Size checks on the forward path without <c>Tensor.shape</c>: TorchSharp's <c>shape</c> allocates and pins a new array
/// and crosses into libtorch with a callback on every call (about a microsecond, and 6% of a tiny model's forward pass in
/// a profile), while <c>size(d)</c> is one plain call.
/// </summary>
internal static class TensorSizes
{
    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> have the same sizes.</summary>
    public static bool SameShape(Tensor a, Tensor b)
    {
        long dims = a.dim();
        if (dims != b.dim()) return false;
        for (int d = 0; d < dims; d++)
            if (a.size(d) != b.size(d)) return false;
        return true;
    }
}
