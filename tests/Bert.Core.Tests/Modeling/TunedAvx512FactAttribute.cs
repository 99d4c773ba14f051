using System.Runtime.Intrinsics.X86;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// A fact about inference on the AVX-512 processors where the inference tuning was measured (<see cref="CpuCapabilities.InferenceTuningMeasured"/>:
/// the packed products and <c>PackedAttention</c> run): skipped, saying so, elsewhere.
/// </summary>
public sealed class TunedAvx512FactAttribute : FactAttribute
{
    public TunedAvx512FactAttribute()
    {
        if (!Avx512F.IsSupported || !CpuCapabilities.InferenceTuningMeasured)
            Skip = "needs an AVX-512 processor whose inference tuning was measured (Intel): elsewhere the AVX2 product (which sums a product's last rows another way) or libtorch's GEMM and attention run, whose sums depend on the batch";
    }
}
