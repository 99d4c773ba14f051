using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Bert.Core;

/// <summary>
/// The message <see cref="TorchRuntime.EnsureAvailable"/> throws when libtorch does not load: what to do first, the
/// older-libstdc++ advice only when the loader reported a missing symbol version, and no copy of TorchSharp's load
/// trace (it stays in the inner exception, so a printed exception shows it once).
/// </summary>
internal static partial class TorchLoadFailure
{
    /// <summary>libtorch's main library, by platform: its presence in the application says a backend package is referenced.</summary>
    private static readonly string[] BackendFiles = ["libtorch_cpu.so", "torch_cpu.dll", "libtorch_cpu.dylib"];

    /// <summary>TorchSharp's native glue, which links to libtorch (and on Linux asks for GLIBCXX_3.4.32).</summary>
    private static readonly string[] GlueFiles = ["libLibTorchSharp.so", "LibTorchSharp.dll", "libLibTorchSharp.dylib"];

    /// <summary>The message for <paramref name="error"/>, with what this process's folders and dynamic loader say.</summary>
    public static string Describe(Exception error) =>
        Describe(error, FindInApplication(BackendFiles), LoaderError(), OperatingSystem.IsLinux(), RuntimeInformation.RuntimeIdentifier);

    /// <summary>The message for <paramref name="error"/>.</summary>
    /// <param name="error">What TorchSharp threw.</param>
    /// <param name="backend">The libtorch library found among the application's native folders; null when there is none.</param>
    /// <param name="loaderError">What the dynamic loader said loading TorchSharp's native library; null when it loaded or was not found.</param>
    /// <param name="linux">Whether this is Linux (the libstdc++ advice applies only there).</param>
    /// <param name="runtime">The runtime identifier, for the report.</param>
    public static string Describe(Exception error, string? backend, string? loaderError, bool linux, string runtime)
    {
        ArgumentNullException.ThrowIfNull(error);
        var text = new StringBuilder();
        if (backend is null)
        {
            text.Append("libtorch, the native library TorchSharp runs on, is not part of this application. ")
                .Append("Add a libtorch backend package to the application's project: dotnet add package TorchSharp-cpu ")
                .Append("(Bert.NET's packages depend only on TorchSharp, which contains no libtorch). Set <RuntimeIdentifier> ")
                .Append("in that project (linux-x64, win-x64 or osx-arm64) so that only this platform's libtorch is copied.");
        }
        else
        {
            text.Append("libtorch is part of this application (").Append(backend).Append(") but could not be loaded");
            text.Append(loaderError is null ? "." : ": " + loaderError.TrimEnd('.', ' ') + ".");
            if (!ReportsMissingVersion(error, loaderError))
                text.Append(" Check that the application references one libtorch backend (TorchSharp-cpu, or a libtorch-cpu-* ")
                    .Append("package of the version its TorchSharp expects) and that all of its files were copied.");
        }
        if (linux && ReportsMissingVersion(error, loaderError))
        {
            text.Append(" The loader reports a symbol version this system's libstdc++ lacks: on distributions whose libstdc++ ")
                .Append("predates GCC 13 (Debian 12, Ubuntu 22.04), TorchSharp 0.107's libLibTorchSharp.so requires GLIBCXX_3.4.32 ")
                .Append("for one unused marker symbol. Bert.Core's build targets (buildTransitive/Bert.Core.targets) mark that ")
                .Append("requirement weak in the build and publish outputs; make sure they ran (BertPatchLibTorchSharp is not false, ")
                .Append("the app was built with 'dotnet build' or 'dotnet publish' on Linux; an app that references Bert.Core as a ")
                .Append("project rather than a NuGet package must import that targets file itself) and that libLibTorchSharp.so is ")
                .Append("loaded from the output folder, not the NuGet cache (LD_DEBUG=files shows which).");
        }
        text.Append(" Runtime: ").Append(runtime).Append(". TorchSharp's message and load trace are in the inner exception.");
        return text.ToString();
    }

    /// <summary>
    /// Whether TorchSharp's messages or the loader report a missing symbol version (GLIBCXX_..., or glibc's
    /// "version `X' not found").
    /// </summary>
    private static bool ReportsMissingVersion(Exception error, string? loaderError)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (MissingVersion(e.Message)) return true;
        }
        return loaderError is not null && MissingVersion(loaderError);
    }

    private static bool MissingVersion(string text) =>
        text.Contains("GLIBCXX", StringComparison.Ordinal) || VersionNotFound().IsMatch(text);

    [GeneratedRegex(@"version `[^']*' not found", RegexOptions.CultureInvariant)]
    private static partial Regex VersionNotFound();

    /// <summary>The folders the host searches for this application's native libraries, and the application's own.</summary>
    private static IEnumerable<string> NativeFolders()
    {
        if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string folders)
        {
            foreach (var folder in folders.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
                yield return folder;
        }
        yield return AppContext.BaseDirectory;
    }

    /// <summary>The first of <paramref name="fileNames"/> found in the application's native folders, or null.</summary>
    private static string? FindInApplication(string[] fileNames)
    {
        foreach (var folder in NativeFolders())
        {
            foreach (var name in fileNames)
            {
                var path = Path.Combine(folder, name);
                if (File.Exists(path)) return path;
            }
        }
        return null;
    }

    /// <summary>
    /// The dynamic loader's reason for refusing the application's copy of TorchSharp's native library (TorchSharp's
    /// trace says only that a load failed); null when there is no copy or it loads.
    /// </summary>
    private static string? LoaderError()
    {
        var glue = FindInApplication(GlueFiles);
        if (glue is null) return null;
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(glue));
            return null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
        {
            // .NET's message ends with the loader's own (dlerror) line.
            var message = ex.Message.TrimEnd();
            int newline = message.LastIndexOf('\n');
            return newline >= 0 ? message[(newline + 1)..].Trim() : message;
        }
    }
}
