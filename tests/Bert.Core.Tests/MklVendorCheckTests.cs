using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Bert.Core.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Tests;

public class MklVendorCheckTests
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntelCpuTrue();

    private static bool MeasuredHere =>
        OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64 && X86Base.IsSupported && CpuInfo.Vendor == "AuthenticAMD"
        && Avx2.IsSupported && Fma.IsSupported && !CpuCapabilities.HasAvx512
        && new[] { "MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR", "MKL_DEBUG_CPU_TYPE" }.All(n => string.IsNullOrEmpty(Environment.GetEnvironmentVariable(n)));

    [Fact]
    public void Applies_exactly_on_AMD_processors_with_AVX2_and_without_AVX512_and_MKL_then_answers_Intel()
    {
        // The test process applied it at start-up (TestProcessSetup); a second call reports the same.
        TorchRuntime.UseMklAvx2KernelsOnAmd().Should().Be(MeasuredHere, MklVendorCheck.DeclinedReason ?? "applied");
        TorchRuntime.UseMklAvx2KernelsOnAmd().Should().Be(MeasuredHere);
        if (!MeasuredHere) return;

        // MKL's own vendor function, called the way MKL calls it, now answers 1 ("Intel"); cpuid alone says AMD.
        var library = File.ReadLines("/proc/self/maps").Select(l => l[(l.IndexOf('/') is var i and >= 0 ? i : l.Length)..])
            .First(p => p.EndsWith("/libtorch_cpu.so", StringComparison.Ordinal));
        var handle = NativeLibrary.Load(library);
        var answer = Marshal.GetDelegateForFunctionPointer<IntelCpuTrue>(NativeLibrary.GetExport(handle, "mkl_serv_intel_cpu_true"));
        answer().Should().Be(1);
    }

    [Fact]
    public void Products_at_BERT_base_sizes_stay_float32_accurate_on_the_path_MKL_takes()
    {
        // MKL's AVX2 kernels on an AMD processor must compute what float64 does, to float32 rounding: a BERT-base
        // feed-forward product (768 -> 3072 and back) on 512 rows, forward and backward.
        using var scope = NewDisposeScope();
        var g = new Generator(11);
        var x = randn(new[] { 512L, 768 }, generator: g).requires_grad_();
        var w1 = randn(new[] { 3072L, 768 }, generator: g).mul_(0.03).requires_grad_();
        var w2 = randn(new[] { 768L, 3072 }, generator: g).mul_(0.02).requires_grad_();
        var y = BertLinear.Apply(BertLinear.Apply(x, w1, null, LinearKernel.Gemm), w2, null, LinearKernel.Gemm);
        y.sum().backward();
        using (no_grad())
        {
            var x64 = x.detach().to(ScalarType.Float64);
            var y64 = nn.functional.linear(nn.functional.linear(x64, w1.detach().to(ScalarType.Float64)), w2.detach().to(ScalarType.Float64));
            var gx64 = ones(512, 768, dtype: ScalarType.Float64).matmul(w2.detach().to(ScalarType.Float64)).matmul(w1.detach().to(ScalarType.Float64));
            Rel(y, y64).Should().BeLessThan(1e-5);
            Rel(x.grad!, gx64).Should().BeLessThan(1e-5);
        }
    }

    private static double Rel(Tensor a, Tensor reference) =>
        (a.to(ScalarType.Float64) - reference).abs().max().item<double>() / reference.abs().max().item<double>();
}
