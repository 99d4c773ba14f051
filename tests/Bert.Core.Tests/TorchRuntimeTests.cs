using Bert.Core;
using TorchSharp;

namespace Bert.Core.Tests;

public class TorchRuntimeTests(Xunit.Abstractions.ITestOutputHelper output)
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
    public void The_native_library_in_the_output_has_no_hard_GLIBCXX_3_4_32_requirement()
    {
        if (!OperatingSystem.IsLinux()) return;
        var lib = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        File.Exists(lib).Should().BeTrue("the linux-x64 natives are copied next to the test assembly");
        // The build target rewrote the vernaux flags: the loaded library must be this patched copy.
        TorchRuntime.EnsureAvailable();
        var maps = File.ReadAllText("/proc/self/maps");
        maps.Should().Contain(lib, "libLibTorchSharp.so must be loaded from the build output, not the NuGet cache");
    }

    [Fact]
    public void After_RetainFreedTensorMemory_a_burst_of_freed_tensors_is_reused_without_new_page_faults()
    {
        if (!OperatingSystem.IsLinux()) return;
        TorchRuntime.EnsureAvailable();
        const int Pages = 12 * 8 * 1024 * 1024 / 4096; // the burst: twelve 8 MiB tensors, as a forward pass's activations
        long FaultsOfOneBurst()
        {
            long before = MinorFaults();
            var burst = Enumerable.Range(0, 12).Select(_ => torch.empty(2L * 1024 * 1024).fill_(1.0f)).ToList();
            foreach (var t in burst) t.Dispose();
            return MinorFaults() - before;
        }

        long[] defaults = [FaultsOfOneBurst(), FaultsOfOneBurst(), FaultsOfOneBurst()];
        TorchRuntime.RetainFreedTensorMemory().Should().BeTrue("this is glibc Linux with no MALLOC_* settings in the environment");
        long[] retained = [FaultsOfOneBurst(), FaultsOfOneBurst(), FaultsOfOneBurst()];
        output.WriteLine($"minor faults per burst of {Pages} pages: glibc defaults {string.Join(", ", defaults)}; retained {string.Join(", ", retained)}");
        // Measured here: defaults 24624, 24578, 4096 (glibc trims the freed heap top each time); retained 2048, 0, 0.
        retained.Skip(1).Should().OnlyContain(f => f < Pages / 16, "the freed blocks are reused, not returned to the kernel and faulted in again");
    }

    /// <summary>Field 10 of /proc/self/stat (after the parenthesised command name).</summary>
    private static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[7], System.Globalization.CultureInfo.InvariantCulture);
    }
}
