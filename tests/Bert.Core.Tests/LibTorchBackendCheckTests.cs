using System.Diagnostics;
using System.Xml.Linq;
using Bert.Core.Tests.Checkpoints;
using Bert.Tests;

namespace Bert.Core.Tests;

/// <summary>
/// Bert.Core.targets warns at build time (BERTNET001) when an executable uses TorchSharp without a libtorch backend
/// package, and the switch silences it. The generated project copies no libtorch, so each build takes seconds.
/// </summary>
public class LibTorchBackendCheckTests
{
    private static string TargetsFile => Path.Combine(SharedData.RepoRoot(), "src", "Bert.Core", "buildTransitive", "Bert.Core.targets");

    private static string PackageVersion(string id) =>
        XDocument.Load(Path.Combine(SharedData.RepoRoot(), "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(e => (string?)e.Attribute("Include") == id).Attribute("Version")!.Value;

    /// <summary>A console app referencing <paramref name="package"/> and importing Bert.Core.targets as the package does.</summary>
    private static string WriteApp(string folder, string package)
    {
        File.WriteAllText(Path.Combine(folder, "Program.cs"), "System.Console.WriteLine(1);\n");
        var project = Path.Combine(folder, "app.csproj");
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="{package}" Version="{PackageVersion(package)}" />
              </ItemGroup>
              <Import Project="{TargetsFile}" />
            </Project>
            """);
        return project;
    }

    /// <summary>Runs dotnet with <paramref name="args"/> (no build servers left behind) and returns its exit code and output.</summary>
    private static (int ExitCode, string Output) Dotnet(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.ArgumentList.Add("-nodeReuse:false");
        start.ArgumentList.Add("--disable-build-servers");
        // The test host's MSBuild settings must not leak into the child build.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"dotnet {string.Join(' ', args)} ran past 120 s");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void An_app_with_TorchSharp_but_no_libtorch_backend_gets_a_build_warning_that_the_switch_silences()
    {
        using var dir = new TempFolder();
        WriteApp(dir.Path, "TorchSharp");

        var build = Dotnet(dir.Path, "build");
        build.ExitCode.Should().Be(0, build.Output);
        build.Output.Should().Contain("warning BERTNET001").And.Contain("dotnet add package TorchSharp-cpu");

        var silenced = Dotnet(dir.Path, "build", "-p:BertCheckLibTorchBackend=false");
        silenced.ExitCode.Should().Be(0, silenced.Output);
        silenced.Output.Should().NotContain("BERTNET001");
    }

    [Fact]
    public void An_app_with_TorchSharp_cpu_gets_no_warning_with_or_without_a_runtime_identifier()
    {
        using var dir = new TempFolder();
        WriteApp(dir.Path, "TorchSharp-cpu");
        // Only the package assets are resolved (where the check runs): nothing of libtorch's 500 MB is copied.
        foreach (var rid in new[] { "", "-p:RuntimeIdentifier=linux-x64" })
        {
            var args = new List<string> { "msbuild", "-restore", "-t:ResolvePackageAssets", "-v:d" };
            if (rid.Length > 0) args.Add(rid);
            var run = Dotnet(dir.Path, [.. args]);
            run.ExitCode.Should().Be(0, run.Output);
            run.Output.Should().Contain("Done building target \"BertCheckLibTorchBackend\"", "the check ran").And.NotContain("BERTNET001");
        }
    }
}
