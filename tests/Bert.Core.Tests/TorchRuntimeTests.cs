using Bert.Core;
using TorchSharp;

namespace Bert.Core.Tests;

public class TorchRuntimeTests
{
    [Fact]
    public void Libtorch_loads_and_computes_a_matrix_product()
    {
        TorchRuntime.EnsureAvailable();
        using var a = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var b = torch.tensor(new float[] { 7, 8, 9, 10, 11, 12 }, 3, 2);
        using var c = torch.matmul(a, b);
        c.data<float>().ToArray().Should().Equal(58f, 64f, 139f, 154f);
    }

    [Fact]
    public void The_native_library_in_the_output_needs_GLIBCXX_3_4_32_only_weakly_where_the_system_lacks_it()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/bin/readelf")) return; // binutils' readelf is the independent reader
        var lib = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        File.Exists(lib).Should().BeTrue("the linux-x64 natives are copied next to the test assembly");
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/readelf", ["-V", "--wide", lib]) { RedirectStandardOutput = true };
        using var readelf = System.Diagnostics.Process.Start(start)!;
        string versions = readelf.StandardOutput.ReadToEnd();
        readelf.WaitForExit();
        var need = versions.Split('\n').Single(l => l.Contains("Name: GLIBCXX_3.4.32", StringComparison.Ordinal));
        // The build target weakens the requirement exactly where the system's libstdc++ lacks the version.
        bool systemHasIt = new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6" }
            .Where(File.Exists).Any(p => System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(p)).Contains("GLIBCXX_3.4.32\0", StringComparison.Ordinal));
        if (systemHasIt)
            need.Should().NotContain("WEAK", "the system's libstdc++ has GLIBCXX_3.4.32: the library is left as shipped");
        else
            need.Should().Contain("Flags: WEAK", "without GLIBCXX_3.4.32 in the system's libstdc++ the loader would refuse a hard requirement");
        TorchRuntime.EnsureAvailable(); // and it loads
    }

    [Fact]
    public void RetainFreedTensorMemory_applies_on_glibc_and_leaves_malloc_settings_from_the_environment_alone()
    {
        // Its effect (page faults per batch) is measured by the benchmark, not here: glibc adapts its own thresholds
        // to what a process did before, so a fault count inside a shared test process is not repeatable.
        if (!OperatingSystem.IsLinux()) return;
        TorchRuntime.EnsureAvailable();
        foreach (var name in new[] { "MALLOC_TOP_PAD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "GLIBC_TUNABLES" })
        {
            var saved = Environment.GetEnvironmentVariable(name);
            try
            {
                Environment.SetEnvironmentVariable(name, "1");
                TorchRuntime.RetainFreedTensorMemory().Should().BeFalse($"{name} is set: the user's choice");
            }
            finally
            {
                Environment.SetEnvironmentVariable(name, saved);
            }
        }
        TorchRuntime.RetainFreedTensorMemory().Should().BeTrue("glibc's mallopt accepts the three settings");
        TorchRuntime.RetainFreedTensorMemory().Should().BeTrue("calling it again is harmless");
        using var t = torch.ones(4L * 1024 * 1024);
        t.sum().item<float>().Should().Be(4 * 1024 * 1024, "tensors still allocate and compute");
    }
}
