using System.Diagnostics;

namespace Bert.Benchmarks;

/// <summary>Timing and memory helpers.</summary>
internal static class Measure
{
    /// <summary>Peak resident set size of this process in MB (VmHWM).</summary>
    public static double PeakRssMb() => StatusField("VmHWM:");

    /// <summary>Current resident set size in MB (VmRSS).</summary>
    public static double RssMb() => StatusField("VmRSS:");

    private static double StatusField(string field)
    {
        if (!File.Exists("/proc/self/status")) return double.NaN;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
                return Math.Round(double.Parse(line[field.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0, 1);
        }
        return double.NaN;
    }

    /// <summary>glibc's mallinfo2 over all arenas: MB in use, MB free inside the heaps, MB in direct mmaps (NaN elsewhere).</summary>
    public static (double Used, double Free, double Mmapped) MallocMb()
    {
        try
        {
            var m = mallinfo2();
            return (m.uordblks / 1048576.0, m.fordblks / 1048576.0, m.hblkhd / 1048576.0);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return (double.NaN, double.NaN, double.NaN);
        }
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

#pragma warning disable SYSLIB1054
    [System.Runtime.InteropServices.DllImport("libc.so.6")]
    private static extern MallInfo2 mallinfo2();
#pragma warning restore SYSLIB1054

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0) return double.NaN;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static double Seconds(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
