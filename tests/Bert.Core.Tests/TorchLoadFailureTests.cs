using System.Text.RegularExpressions;
using Bert.Core;

namespace Bert.Core.Tests;

/// <summary>
/// The exception <see cref="TorchRuntime.EnsureAvailable"/> throws when libtorch does not load: it leads with what to
/// do, carries TorchSharp's long load trace once (in the inner exception), and gives the older-libstdc++ advice only
/// when the loader reported a missing symbol version.
/// </summary>
public class TorchLoadFailureTests
{
    /// <summary>What TorchSharp 0.107 throws in an application without a libtorch backend (trimmed from a real run).</summary>
    private static Exception TorchSharpWithoutBackend()
    {
        const string message = """
            This application or script uses TorchSharp but doesn't contain a reference to libtorch-cpu-linux-x64, Version=2.10.0.0.

            Consider referencing one of the combination packages TorchSharp-cpu, TorchSharp-cuda-linux, TorchSharp-cuda-windows or call System.Runtime.InteropServices.NativeLibrary.Load(path-to-libLibTorchSharp.so) explicitly for a Python install of pytorch. See https://github.com/dotnet/TorchSharp/issues/169.".

            Trace from LoadNativeBackend:

            TorchSharp: LoadNativeBackend: Initialising native backend, useCudaBackend = False

            Step 1 - First try regular load of native libtorch binaries.

                Trying to load native component torch_cpu relative to /app/bin/TorchSharp.dll
                Failed to load native component torch_cpu relative to /app/bin/TorchSharp.dll
                Trying to load native component LibTorchSharp relative to /app/bin/TorchSharp.dll
                Failed to load native component LibTorchSharp relative to /app/bin/TorchSharp.dll
                Result from regular native load of LibTorchSharp is False
            """;
        return new TypeInitializationException("TorchSharp.torch", new NotSupportedException(message));
    }

    private static int Count(string text, string part) => Regex.Matches(text, Regex.Escape(part)).Count;

    [Fact]
    public void Without_a_backend_the_message_says_to_add_TorchSharp_cpu_first_and_the_trace_appears_once()
    {
        var cause = TorchSharpWithoutBackend();
        var error = new InvalidOperationException(TorchLoadFailure.Describe(cause, backend: null, loaderError: null, linux: true, runtime: "linux-x64"), cause);

        error.Message.Should().StartWith("libtorch, the native library TorchSharp runs on, is not part of this application. Add a libtorch backend package")
            .And.Contain("dotnet add package TorchSharp-cpu")
            .And.Contain("<RuntimeIdentifier>")
            .And.EndWith("Runtime: linux-x64. TorchSharp's message and load trace are in the inner exception.");
        error.Message.Should().NotContain("GLIBCXX", "nothing in the failure points at libstdc++")
            .And.NotContain("Trace from LoadNativeBackend", "the trace is TorchSharp's message, kept in the inner exception");
        error.Message.Length.Should().BeLessThan(600);
        // What an unhandled exception prints: the whole chain, TorchSharp's trace in it once.
        Count(error.ToString(), "Trace from LoadNativeBackend").Should().Be(1);
        Count(error.ToString(), "Failed to load native component LibTorchSharp").Should().Be(1);
    }

    [Fact]
    public void A_missing_GLIBCXX_version_reported_by_the_loader_brings_the_libstdcxx_advice()
    {
        const string loader = "/app/bin/libLibTorchSharp.so: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found (required by /app/bin/libLibTorchSharp.so)";
        var message = TorchLoadFailure.Describe(TorchSharpWithoutBackend(), "/app/bin/libtorch_cpu.so", loader, linux: true, runtime: "linux-x64");

        message.Should().StartWith("libtorch is part of this application (/app/bin/libtorch_cpu.so) but could not be loaded: " + loader + ".")
            .And.Contain("GLIBCXX_3.4.32 for one unused marker symbol")
            .And.Contain("BertPatchLibTorchSharp")
            .And.NotContain("dotnet add package", "the backend is there");
        Count(message, "version `GLIBCXX_3.4.32' not found").Should().Be(1);
    }

    [Fact]
    public void The_libstdcxx_advice_follows_a_version_not_found_anywhere_in_the_failure_and_only_on_Linux()
    {
        var cause = new TypeInitializationException("TorchSharp.torch",
            new DllNotFoundException("libc10.so: version `CXXABI_1.3.15' not found (required by libtorch_cpu.so)"));
        TorchLoadFailure.Describe(cause, "/app/bin/libtorch_cpu.so", loaderError: null, linux: true, runtime: "linux-x64")
            .Should().Contain("BertPatchLibTorchSharp");
        TorchLoadFailure.Describe(cause, @"C:\app\torch_cpu.dll", loaderError: null, linux: false, runtime: "win-x64")
            .Should().NotContain("GLIBCXX").And.NotContain("BertPatchLibTorchSharp");
    }

    [Fact]
    public void Another_loader_error_is_quoted_without_the_libstdcxx_advice()
    {
        const string loader = "libc10.so: cannot open shared object file: No such file or directory";
        var message = TorchLoadFailure.Describe(TorchSharpWithoutBackend(), "/app/bin/libtorch_cpu.so", loader, linux: true, runtime: "linux-x64");

        message.Should().StartWith("libtorch is part of this application (/app/bin/libtorch_cpu.so) but could not be loaded: " + loader + ".")
            .And.Contain("Check that the application references one libtorch backend")
            .And.NotContain("GLIBCXX");
    }

    [Fact]
    public void In_this_test_process_the_backend_is_found_among_the_applications_native_folders_and_loads()
    {
        TorchRuntime.EnsureAvailable(); // the test project references TorchSharp-cpu
        var message = TorchLoadFailure.Describe(TorchSharpWithoutBackend());
        message.Should().MatchRegex(@"^libtorch is part of this application \(.*(libtorch_cpu\.so|torch_cpu\.dll|libtorch_cpu\.dylib)\) but could not be loaded\. ",
            "the test output holds libtorch, and its libLibTorchSharp loads, so no loader error is quoted");
    }
}
