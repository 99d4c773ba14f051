using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Bert.Core.Modeling;

/// <summary>
/// GELU with the error function, x/2 (1 + erf(x/√2)), on 16 floats at a time with AVX-512 or 8 with AVX2 and FMA, for
/// the packed kernel to apply to a product's sums before they leave the cache (<see cref="PackedGemm"/>). erf is the
/// one libtorch's own vectorised float kernels use (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7), with
/// e^(−z²) from <see cref="Exp(Vector512{float})"/>. Both widths take the same steps, each rounded the same way, so they
/// give the same bits.
/// </summary>
internal static class VectorGelu
{
    /// <summary>GELU (erf form) of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Apply(Vector512<float> x)
    {
        var z = x * Vector512.Create(0.70710678f);
        var a = Vector512.Abs(z);
        var t = Vector512<float>.One / Avx512F.FusedMultiplyAdd(a, Vector512.Create(0.3275911f), Vector512<float>.One);
        var r = Avx512F.FusedMultiplyAdd(Vector512.Create(1.061405429f), t, Vector512.Create(-1.453152027f));
        r = Avx512F.FusedMultiplyAdd(r, t, Vector512.Create(1.421413741f));
        r = Avx512F.FusedMultiplyAdd(r, t, Vector512.Create(-0.284496736f));
        r = Avx512F.FusedMultiplyAdd(r, t, Vector512.Create(0.254829592f));
        var erfAbs = Vector512<float>.One - r * t * Exp(-(a * a));                    // erf(|z|)
        var erf = Vector512.ConditionalSelect(Vector512.LessThan(z, Vector512<float>.Zero), -erfAbs, erfAbs);
        return Vector512.Create(0.5f) * x * (Vector512<float>.One + erf);
    }

    /// <summary>
    /// e^x for x ≤ 0: x = n ln 2 + r with |r| ≤ ln 2 / 2, e^r by its degree-6 Taylor polynomial (relative error below
    /// 2e-7 there), times 2^n (<c>vscalefps</c>: one instruction where building 2^n's exponent bits took six, and the same
    /// bits); below −87 (where e^x leaves float32's normal range) 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var n = Vector512.Round(x * Vector512.Create(1.44269504f));
        // r = x − n ln 2, with ln 2 in two parts (the first exact in few bits, so n times it is exact).
        var r = Avx512F.FusedMultiplyAdd(n, Vector512.Create(-0.693145752f), x);
        r = Avx512F.FusedMultiplyAdd(n, Vector512.Create(-1.42860677e-6f), r);
        var p = Vector512.Create(1f / 720);
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 120));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 24));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(1f / 6));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512.Create(0.5f));
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Avx512F.FusedMultiplyAdd(p, r, Vector512<float>.One);
        return Vector512.ConditionalSelect(Vector512.GreaterThanOrEqual(x, Vector512.Create(-87f)), Avx512F.Scale(p, n), Vector512<float>.Zero);
    }

    /// <summary><see cref="Apply(Vector512{float})"/> on 8 lanes, with AVX2 and FMA: the same steps, so the same bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Apply(Vector256<float> x)
    {
        var z = x * Vector256.Create(0.70710678f);
        var a = Vector256.Abs(z);
        var t = Vector256<float>.One / Fma.MultiplyAdd(a, Vector256.Create(0.3275911f), Vector256<float>.One);
        var r = Fma.MultiplyAdd(Vector256.Create(1.061405429f), t, Vector256.Create(-1.453152027f));
        r = Fma.MultiplyAdd(r, t, Vector256.Create(1.421413741f));
        r = Fma.MultiplyAdd(r, t, Vector256.Create(-0.284496736f));
        r = Fma.MultiplyAdd(r, t, Vector256.Create(0.254829592f));
        var erfAbs = Vector256<float>.One - r * t * Exp(-(a * a));                    // erf(|z|)
        var erf = Vector256.ConditionalSelect(Vector256.LessThan(z, Vector256<float>.Zero), -erfAbs, erfAbs);
        return Vector256.Create(0.5f) * x * (Vector256<float>.One + erf);
    }

    /// <summary>
    /// <see cref="Exp(Vector512{float})"/> on 8 lanes, with AVX2 and FMA: 2^n is built from its exponent bits (n ≥ −126
    /// wherever the result is kept, so 2^n is a normal float), and p times it is exact-rounded as <c>vscalefps</c>'s is:
    /// the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var n = Vector256.Round(x * Vector256.Create(1.44269504f));
        var r = Fma.MultiplyAdd(n, Vector256.Create(-0.693145752f), x);
        r = Fma.MultiplyAdd(n, Vector256.Create(-1.42860677e-6f), r);
        var p = Vector256.Create(1f / 720);
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1f / 120));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1f / 24));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1f / 6));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(0.5f));
        p = Fma.MultiplyAdd(p, r, Vector256<float>.One);
        p = Fma.MultiplyAdd(p, r, Vector256<float>.One);
        var keep = Vector256.GreaterThanOrEqual(x, Vector256.Create(-87f));
        // Lanes not kept may hold any n (−∞ and NaN included): their 2^n is cleared with them.
        var scale = Avx2.ShiftLeftLogical(Avx.ConvertToVector256Int32(n) + Vector256.Create(127), 23).AsSingle();
        return Vector256.BitwiseAnd(p * scale, keep);
    }
}
