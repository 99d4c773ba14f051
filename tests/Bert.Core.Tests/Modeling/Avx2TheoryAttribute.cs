using System.Runtime.Intrinsics.X86;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// A theory about the packed kernels, run with the AVX-512 ones (where the processor has them) and with the AVX2 ones
/// forced (<c>PackedGemm.Avx2Only</c>): skipped, saying so, on a processor without AVX2 and FMA.
/// </summary>
public sealed class Avx2TheoryAttribute : TheoryAttribute
{
    public Avx2TheoryAttribute()
    {
        if (!Avx2.IsSupported || !Fma.IsSupported)
            Skip = "needs a processor with AVX2 and FMA: the kernels under test are AVX2 and AVX-512 code (this processor runs libtorch's attention)";
    }
}
