using System.Runtime.InteropServices;
using TorchSharp;

namespace Bert.Core;

/// <summary>
/// Checks once that libtorch loads, and turns the bare <see cref="TypeInitializationException"/>
/// TorchSharp throws when it does not into an exception that says what is wrong and how to fix it.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadError = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Makes sure TorchSharp's native runtime is usable. Library entry points call this; applications
    /// may call it at start-up to fail early.
    /// </summary>
    /// <exception cref="InvalidOperationException">libtorch or libLibTorchSharp could not be loaded.</exception>
    public static void EnsureAvailable()
    {
        if (LoadError.Value is { } error)
            throw error;
    }

    private static Exception? TryLoad()
    {
        try
        {
            // Any tensor operation runs TorchSharp's static initialiser, which loads the natives.
            using var probe = torch.zeros(1);
            return null;
        }
        catch (TypeInitializationException ex)
        {
            return new InvalidOperationException(Explain(ex), ex);
        }
        catch (DllNotFoundException ex)
        {
            return new InvalidOperationException(Explain(ex), ex);
        }
    }

    private static string Explain(Exception ex)
    {
        var root = ex;
        while (root.InnerException is not null) root = root.InnerException;
        var text = "TorchSharp's native runtime could not be loaded: " + root.Message + ". ";
        if (!OperatingSystem.IsLinux())
            return text + "Reference a libtorch backend package (for example TorchSharp-cpu) from the application.";
        return text +
            "Check that the application references a libtorch backend (TorchSharp-cpu or libtorch-cpu-linux-x64). " +
            "On Linux distributions whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04), TorchSharp 0.107's " +
            "libLibTorchSharp.so requires GLIBCXX_3.4.32 for one unused marker symbol. Bert.Core's build targets " +
            "(buildTransitive/Bert.Core.targets) mark that requirement weak in the build and publish outputs; make sure " +
            "they ran (BertPatchLibTorchSharp is not false, the app was built with 'dotnet build' or 'dotnet publish' on Linux) " +
            "and that libLibTorchSharp.so is loaded from the output folder, not the NuGet cache (LD_DEBUG=files shows which). " +
            "Runtime: " + RuntimeInformation.RuntimeIdentifier + ".";
    }
}
