using System.Runtime.Intrinsics.X86;

namespace Bert.Core.Tests.Modeling;

/// <summary>A fact about the AVX-512 kernels: skipped, saying so, on a processor without AVX-512.</summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!Avx512F.IsSupported)
            Skip = "needs a processor with AVX-512: the kernel under test is AVX-512 code (this processor runs the AVX2 product, which sums its last rows another way)";
    }
}
