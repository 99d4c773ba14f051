using System.Runtime.CompilerServices;

namespace Bert.Core.Tests;

/// <summary>
/// Sets this test process up as an application following the README would be: MKL's AVX2 kernels on AMD processors
/// (<see cref="TorchRuntime.UseMklAvx2KernelsOnAmd"/>), before any test computes, so every product in this assembly
/// runs on the path users are told to take and no test sees the path change under it. (Bert.Classification.Tests
/// keeps MKL's defaults, so the suite covers both.)
/// </summary>
internal static class TestProcessSetup
{
#pragma warning disable CA2255 // a test assembly is an application: this is its start-up
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        try
        {
            TorchRuntime.UseMklAvx2KernelsOnAmd();
        }
        catch (InvalidOperationException)
        {
            // libtorch does not load: leave the explanation to the tests that need it (TorchRuntimeTests) instead of
            // failing the whole assembly at load time.
        }
    }
}
