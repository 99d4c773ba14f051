using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Bert.Core.Modeling;

/// <summary>
/// Inverted dropout, as <c>nn.Dropout</c>: in training mode each element is zeroed with probability p and the others
/// are scaled by 1 / (1 − p); in eval mode (or with p = 0) the input passes through. The mask of a float32 CPU tensor is
/// drawn by <see cref="DropoutMask"/> (a counter-based hash, on all of libtorch's threads) from one seed taken from
/// libtorch's default generator, so <c>torch.manual_seed</c> makes training repeatable as before, but the masks are not
/// the ones libtorch's own dropout would draw. Other dtypes and devices take libtorch's dropout.
/// </summary>
/// <remarks>
/// The product with the mask is libtorch's multiplication, so autograd keeps the mask for the backward pass (as
/// libtorch's dropout keeps its noise tensor) and the gradient is the incoming one times the mask.
/// </remarks>
internal sealed class BertDropout : Module<Tensor, Tensor>
{
    private readonly double probability;

    /// <summary>Creates a dropout of probability <paramref name="p"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not in [0, 1].</exception>
    public BertDropout(double p) : base(nameof(BertDropout))
    {
        Check(p);
        probability = p;
    }

    /// <summary>The input with dropout applied in training mode; the input itself in eval mode.</summary>
    public override Tensor forward(Tensor input) => Apply(input, probability, training);

    /// <summary>Dropout of probability <paramref name="p"/> on <paramref name="input"/> when <paramref name="training"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not in [0, 1].</exception>
    public static Tensor Apply(Tensor input, double p, bool training)
    {
        ArgumentNullException.ThrowIfNull(input);
        Check(p);
        if (!training || p == 0) return input;
        if (p == 1) return input * 0.0;
        if (input.dtype != ScalarType.Float32 || input.device_type != DeviceType.CPU)
            return functional.dropout(input, p, training: true);
        var mask = empty(input.shape, ScalarType.Float32);
        if (mask.numel() > 0)
        {
            ulong seed;
            using (var draw = randint(long.MaxValue, new long[] { 1 }, ScalarType.Int64))
                seed = (ulong)draw.item<long>();
            unsafe
            {
                DropoutMask.Fill((float*)PackedLinearWeights.Address(mask), mask.numel(), seed, p, get_num_threads());
            }
        }
        return input * mask;
    }

    private static void Check(double p)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "A dropout probability must be in [0, 1].");
    }
}
