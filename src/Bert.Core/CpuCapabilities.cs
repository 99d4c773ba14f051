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
