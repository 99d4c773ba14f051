using System.Diagnostics;

namespace Bert.Core.Tests.Onnx;

/// <summary>The Python interpreter with the <c>onnx</c> package (Debian <c>python3-onnx</c>), when there is one.</summary>
internal static class PythonOnnx
{
    private static readonly Lazy<string?> Interpreter = new(Find);

    /// <summary>A python3 that imports onnx, or null.</summary>
    public static string? Python => Interpreter.Value;

    /// <summary>Runs <paramref name="script"/> with <paramref name="args"/>; returns exit code and combined output.</summary>
    public static (int ExitCode, string Output) Run(string script, params string[] args)
    {
        var info = new ProcessStartInfo(Python ?? throw new InvalidOperationException("python3 with onnx is not available"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }

    private static string? Find()
    {
        // The Debian interpreter first: a python3 earlier on PATH (pyenv, venv) may lack the Debian package.
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(candidate, ["-c", "import onnx"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
                process.WaitForExit();
                if (process.ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }
        return null;
    }
}

/// <summary>A fact that needs python3 with the onnx package; skipped, saying so, when absent.</summary>
public sealed class PythonOnnxFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when no python3 can import onnx.</summary>
    public PythonOnnxFactAttribute()
    {
        if (PythonOnnx.Python is null)
            Skip = "needs python3 with the onnx package (Debian: apt-get install python3-onnx), which is absent";
    }
}
