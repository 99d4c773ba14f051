using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Bert.Core;

/// <summary>
/// Lets the MKL inside libtorch run its AVX2 kernels on AMD processors (see
/// <see cref="TorchRuntime.UseMklAvx2KernelsOnAmd"/>).
/// </summary>
/// <remarks>
/// MKL decides once per process whether the processor is "GenuineIntel" (<c>mkl_serv_intel_cpu_true</c>, an exported
/// function of libtorch_cpu.so that caches its answer in a static int, -1 until asked) and on other vendors takes
/// slower generic code paths. This sets that cached answer to 1 instead of patching code: the function starts with
/// <c>mov eax, [rip+disp32]; test eax, eax; js …; ret</c>, so the int's address is read off its first instruction.
/// Anything unexpected (other bytes, an address outside a writable mapping) leaves MKL alone.
/// </remarks>
internal static class MklVendorCheck
{
    private static readonly object Gate = new();

    /// <summary>True once MKL has been told the processor may take its Intel code paths.</summary>
    internal static bool Bypassed { get; private set; }

    /// <summary>Why <see cref="TryBypass"/> last declined, for diagnostics; null when it applied.</summary>
    internal static string? DeclinedReason { get; private set; }

    internal static bool TryBypass()
    {
        lock (Gate)
        {
            if (Bypassed) return true;
            DeclinedReason = Decline();
            if (DeclinedReason is not null) return false;
            TorchRuntime.EnsureAvailable();
            var library = NativeLibraries.LoadedPath("libtorch_cpu.so");
            if (library is null) return Declined("libtorch_cpu.so is not loaded in this process");
            if (!NativeLibrary.TryLoad(library, out var handle) || !NativeLibrary.TryGetExport(handle, "mkl_serv_intel_cpu_true", out var function))
                return Declined($"{library} has no mkl_serv_intel_cpu_true (not an MKL build)");
            var code = new byte[11];
            Marshal.Copy(function, code, 0, code.Length);
            // 8b 05 d32 | 85 c0 | 78 01 | c3 : mov eax,[rip+d32]; test eax,eax; js +1; ret
            if (code[0] != 0x8b || code[1] != 0x05 || code[6] != 0x85 || code[7] != 0xc0 || code[8] != 0x78 || code[10] != 0xc3)
                return Declined($"mkl_serv_intel_cpu_true in {library} is not the code this was written for (another MKL version)");
            nint cached = function + 6 + BitConverter.ToInt32(code, 2);
            if (!IsWritable(cached, sizeof(int)))
                return Declined("the cached vendor answer is not in a writable mapping");
            int before = Marshal.ReadInt32(cached);
            if (before is not (-1 or 0 or 1))
                return Declined($"the cached vendor answer holds {before}, not -1, 0 or 1");
            Marshal.WriteInt32(cached, 1);
            Bypassed = true;
            return true;
        }
    }

    private static bool Declined(string reason)
    {
        DeclinedReason = reason;
        return false;
    }

    /// <summary>The conditions under which this was measured to help: Linux x64, an AMD processor with AVX2 and FMA and without AVX-512.</summary>
    private static string? Decline()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return "only measured on Linux x64";
        if (!CpuCapabilities.IsAmd)
            return "the processor is not an AMD one (MKL already takes its fast paths on Intel processors)";
        if (!Avx2.IsSupported || !Fma.IsSupported)
            return "the processor has no AVX2 and FMA";
        if (CpuCapabilities.HasAvx512)
            return "only measured on AMD processors without AVX-512 (where oneDNN already runs the products)";
        foreach (var name in (string[])["MKL_ENABLE_INSTRUCTIONS", "MKL_CBWR", "MKL_DEBUG_CPU_TYPE"])
        {
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
                return $"the environment sets {name}; MKL is left as configured";
        }
        return null;
    }

    private static bool IsWritable(nint address, int length)
    {
        ulong start = (ulong)address, end = start + (ulong)length;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            // "lo-hi perms offset dev inode path"
            int dash = line.IndexOf('-'), space = line.IndexOf(' ');
            if (dash < 0 || space < dash) continue;
            ulong lo = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong hi = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (start >= lo && end <= hi)
                return line.Length > space + 2 && line[space + 1] == 'r' && line[space + 2] == 'w';
        }
        return false;
    }
}
