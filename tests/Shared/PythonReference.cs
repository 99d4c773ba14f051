using System.Diagnostics;

namespace Bert.Tests;

/// <summary>
/// Debian's Python (<c>/usr/bin/python3</c>) with the modules a reference script needs (PyTorch, scikit-learn,
/// onnx). Tests that run a committed reference script use <see cref="PythonFactAttribute"/> and are skipped,
/// naming the missing module, where it is not installed (.ci/run installs them).
/// </summary>
public static class PythonReference
{
    /// <summary>The interpreter the reference scripts are run with.</summary>
    public const string Interpreter = "/usr/bin/python3";

    private static readonly Dictionary<string, bool> Cache = new(StringComparer.Ordinal);

    /// <summary>True when <see cref="Interpreter"/> exists and imports every module.</summary>
    public static bool Has(params string[] modules)
    {
        lock (Cache)
        {
            string key = string.Join(",", modules);
            if (!Cache.TryGetValue(key, out bool ok))
            {
                Cache[key] = ok = File.Exists(Interpreter) && Run(["-c", "import " + key], TimeSpan.FromSeconds(60)).ExitCode == 0;
            }
            return ok;
        }
    }

    /// <summary>Runs <see cref="Interpreter"/> with the arguments; the exit code and both outputs.</summary>
    public static (int ExitCode, string Output, string Error) Run(IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.Environment["PYTHONIOENCODING"] = "utf-8";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + Interpreter);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Interpreter} {string.Join(' ', start.ArgumentList)} ran over {timeout}.");
        }
        return (process.ExitCode, output.Result, error.Result);
    }
}

/// <summary>A fact that runs a Python reference script; skipped, naming the missing module, when Debian's Python lacks it.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    /// <param name="modules">The modules the script imports (e.g. "torch").</param>
    public PythonFactAttribute(params string[] modules)
    {
        if (!PythonReference.Has(modules))
            Skip = $"needs {PythonReference.Interpreter} with {string.Join(", ", modules)} (Debian packages python3-torch, python3-sklearn, python3-onnx), which is absent";
    }
}
