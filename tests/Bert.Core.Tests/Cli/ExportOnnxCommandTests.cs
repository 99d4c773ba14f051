using System.Diagnostics;
using System.Reflection;

namespace Bert.Core.Tests.Cli;

/// <summary><c>bert export-onnx</c> run as a child process: the output must not be the model's own folder.</summary>
public class ExportOnnxCommandTests
{
    [Theory]
    [InlineData("knbc.onnx")]
    [InlineData("")]
    public void An_output_in_the_model_folder_is_refused_before_anything_is_read_or_written(string output)
    {
        string dir = Directory.CreateTempSubdirectory("bert-export-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
            var (exit, stderr) = Run("export-onnx", "--model", dir, "--output", Path.Combine(dir, output));
            exit.Should().Be(1, stderr);
            stderr.Should().StartWith($"error: --output '{Path.Combine(dir, output)}' is in the folder of --model '{dir}'");
            Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Should().Equal("config.json");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int Exit, string Stderr) Run(params string[] args)
    {
        string cli = typeof(ExportOnnxCommandTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BertCli").Value!;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(cli);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit(120_000).Should().BeTrue("bert export-onnx finishes");
        _ = stdout.Result;
        return (process.ExitCode, stderr.Result);
    }
}
