namespace Bert.Core.Tests;

/// <summary>
/// What <c>/proc/cpuinfo</c> says about this processor, read independently of <see cref="CpuCapabilities"/> so tests
/// can check the library's kernel choices against it (empty where the file does not exist).
/// </summary>
internal static class CpuInfo
{
    private static readonly Lazy<(string Vendor, HashSet<string> Flags)> Info = new(() =>
    {
        if (!File.Exists("/proc/cpuinfo")) return ("", []);
        var lines = File.ReadLines("/proc/cpuinfo").ToList();
        string Field(string key) =>
            lines.FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal) && l[key.Length..].TrimStart().StartsWith(':'))
                ?.Split(':', 2)[1].Trim() ?? "";
        return (Field("vendor_id"), Field("flags").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet());
    });

    /// <summary><c>vendor_id</c>: GenuineIntel, AuthenticAMD, or empty.</summary>
    public static string Vendor => Info.Value.Vendor;

    /// <summary>The <c>flags</c> line's entries.</summary>
    public static IReadOnlySet<string> Flags => Info.Value.Flags;

    /// <summary>
    /// Where the inference tuning (packed kernel under Auto, parallel streams) was measured to pay: AVX2 without AVX-512,
    /// or Intel with AVX-512.
    /// </summary>
    public static bool InferenceTuningExpected =>
        Flags.Contains("avx512f") ? Vendor == "GenuineIntel" : Flags.Contains("avx2");
}
