using System.CommandLine;
using TorchSharp;

namespace Bert.Cli.Commands;

/// <summary>The <c>--device</c> option of the commands that run a model: <c>cpu</c> (default) or <c>cuda[:N]</c> (untested: no CUDA backend here).</summary>
internal static class DeviceOption
{
    /// <summary>A new instance of the option (System.CommandLine options belong to one command).</summary>
    public static Option<string> Create() => new("--device")
    {
        Description = "Where the model runs: cpu, or cuda / cuda:N with a CUDA build of libtorch (untested: this project's machines have no GPU).",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>The device named by the option's value.</summary>
    /// <exception cref="CliException">The name is not cpu or cuda[:N], or CUDA is not available.</exception>
    public static torch.Device Parse(string value)
    {
        if (value == "cpu") return torch.CPU;
        if (value == "cuda" || (value.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(value.AsSpan(5), out int index) && index >= 0))
        {
            if (!torch.cuda.is_available())
                throw new CliException($"--device {value}: CUDA is not available (this process loaded the CPU build of libtorch, TorchSharp-cpu).");
            return torch.device(value);
        }
        throw new CliException($"--device '{value}': expected cpu, cuda or cuda:N.");
    }
}
