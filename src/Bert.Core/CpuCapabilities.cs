using System.Runtime.Intrinsics.X86;

namespace Bert.Core;

/// <summary>
/// What this processor offers the kernels that matter for BERT: its name and the widest vector instruction set
/// (<c>avx2</c>, <c>avx512</c>, or <c>avx512_bf16</c> with bfloat16 dot products). Kernel choices and the bfloat16
/// warning read it; benchmarks record it beside every number.
/// </summary>
public static class CpuCapabilities
{
    private static readonly Lazy<(string Name, HashSet<string> Flags)> Info = new(Read);

    /// <summary>The processor's model name (<c>/proc/cpuinfo</c>), or the architecture where that is not available.</summary>
    public static string ModelName => Info.Value.Name;

    /// <summary>True when the processor has AVX-512 (foundation).</summary>
    public static bool HasAvx512 => Avx512F.IsSupported || Info.Value.Flags.Contains("avx512f");

    /// <summary>
    /// True when the processor computes bfloat16 products in hardware (<c>avx512_bf16</c> or <c>amx_bf16</c>); without
    /// them libtorch emulates bfloat16 and it is several times slower than float32.
    /// </summary>
    public static bool HasBFloat16 => Info.Value.Flags.Contains("avx512_bf16") || Info.Value.Flags.Contains("amx_bf16");

    /// <summary>
    /// True when bfloat16 products are expected to run faster than float32 here: AMX (<c>amx_bf16</c>; oneDNN's AMX
    /// kernels, not measured on this project's machines), or <c>avx512_bf16</c> on a processor that is not Intel's (a
    /// Zen 5 EPYC: bfloat16 inference 1.9× float32). An Intel processor with <c>avx512_bf16</c> and without AMX
    /// issues its bfloat16 dot products (<c>VDPBF16PS</c>) at half its float32 FMA rate (a Xeon of family 6, model
    /// 207: 85 against 173 GFLOP/s per core, <c>bench/isa_peak.c</c>), so bfloat16 is slower than float32 there.
    /// </summary>
    public static bool HasFastBFloat16 =>
        Info.Value.Flags.Contains("amx_bf16") || (Info.Value.Flags.Contains("avx512_bf16") && !IsIntel);

    /// <summary>The processor's vendor from CPUID (<c>GenuineIntel</c>, <c>AuthenticAMD</c>), or empty off x86.</summary>
    internal static string Vendor => VendorId.Value;

    /// <summary>True on an Intel processor (CPUID vendor <c>GenuineIntel</c>).</summary>
    internal static bool IsIntel => Vendor == "GenuineIntel";

    /// <summary>True on an AMD processor (CPUID vendor <c>AuthenticAMD</c>).</summary>
    internal static bool IsAmd => Vendor == "AuthenticAMD";

    /// <summary>
    /// Whether Bert.NET's own inference tuning is measured to pay on this kind of processor: the packed-weight kernel
    /// for products on few rows (<see cref="Modeling.LinearKernel.Packed"/> under <see cref="Modeling.LinearKernel.Auto"/>)
    /// and parallel inference streams with core sharing. Measured on a 2-core AMD EPYC Zen 3 (AVX2 without AVX-512) and
    /// a 2-core Intel Xeon (family 6, model 207, AVX-512); not on AMD processors with AVX-512 (Zen 5), which keep
    /// libtorch's kernels and one batch at a time until measured.
    /// </summary>
    internal static bool InferenceTuningMeasured => TuningMeasured.Value;

    // Read on every product: worked out once (Isa and the vendor compare strings).
    private static readonly Lazy<bool> TuningMeasured = new(() => Isa == "avx2" || (HasAvx512 && IsIntel));

    private static readonly Lazy<string> VendorId = new(() =>
    {
        if (!X86Base.IsSupported) return "";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> vendor = stackalloc byte[12];
        BitConverter.TryWriteBytes(vendor[0..4], ebx);
        BitConverter.TryWriteBytes(vendor[4..8], edx);
        BitConverter.TryWriteBytes(vendor[8..12], ecx);
        return System.Text.Encoding.ASCII.GetString(vendor);
    });

    /// <summary>The widest relevant instruction set: <c>avx512_bf16</c>, <c>avx512</c>, <c>avx2</c> or <c>baseline</c>.</summary>
    public static string Isa =>
        HasAvx512 && HasBFloat16 ? "avx512_bf16"
        : HasAvx512 ? "avx512"
        : Avx2.IsSupported || Info.Value.Flags.Contains("avx2") ? "avx2"
        : "baseline";

    private static (string, HashSet<string>) Read()
    {
        var flags = new HashSet<string>(StringComparer.Ordinal);
        string name = System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    int colon = line.IndexOf(':');
                    if (colon < 0) continue;
                    string key = line[..colon].Trim();
                    if (key == "model name" && name.Length < 8) name = line[(colon + 1)..].Trim();
                    else if (key == "flags" && flags.Count == 0)
                        flags.UnionWith(line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                    if (flags.Count > 0 && name.Length >= 8) break;
                }
            }
        }
        catch (IOException)
        {
            // Without /proc the intrinsics' answers stand.
        }
        return (name, flags);
    }
}
