using System.Runtime.Intrinsics.X86;

namespace Bert.Core.Tests.Modeling;

/// <summary>A fact about the AVX-512 kernels: skipped, saying so, on a processor without AVX-512.</summary>
public sealed class Avx512FactAttribute : FactAttribute
{
    public Avx512FactAttribute()
    {
        if (!Avx512F.IsSupported)
            Skip = "needs a processor with AVX-512 (this one runs the AVX2 kernel, whose last rows are summed another way)";
    }
}
