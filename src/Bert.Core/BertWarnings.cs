using System.Diagnostics;

namespace Bert.Core;

/// <summary>
/// Warnings that do not stop the work but that a user should see once, e.g. bfloat16 requested on a processor that
/// emulates it. An application subscribes to <see cref="Warning"/> (the <c>bert</c> CLI prints them to stderr);
/// without a subscriber they go to <see cref="Trace"/>.
/// </summary>
public static class BertWarnings
{
    private static readonly HashSet<string> Raised = new(StringComparer.Ordinal);

    /// <summary>Raised with the text of each warning, once per kind and process.</summary>
    public static event Action<string>? Warning;

    /// <summary>Raises the warning of kind <paramref name="key"/> unless it was raised before.</summary>
    internal static void Once(string key, string message)
    {
        lock (Raised)
        {
            if (!Raised.Add(key)) return;
        }
        var handler = Warning;
        if (handler is null) Trace.TraceWarning(message);
        else handler(message);
    }

    /// <summary>Forgets which warnings were raised (tests).</summary>
    internal static void Reset()
    {
        lock (Raised) Raised.Clear();
    }

    /// <summary>
    /// Warns once when bfloat16 is asked for on a processor where it is slower than float32: without bfloat16
    /// instructions (emulated), or with them but at half the float32 rate (<see cref="CpuCapabilities.HasFastBFloat16"/>).
    /// </summary>
    internal static void CheckBFloat16(TorchSharp.torch.ScalarType dtype, TorchSharp.torch.Device? device = null)
    {
        if (dtype != TorchSharp.torch.ScalarType.BFloat16 || (device is not null && device.type != TorchSharp.DeviceType.CPU) || CpuCapabilities.HasFastBFloat16)
            return;
        if (!CpuCapabilities.HasBFloat16)
            Once("bf16-emulated", $"bfloat16 was requested, but this processor ({CpuCapabilities.ModelName}, {CpuCapabilities.Isa}) has no bfloat16 instructions (avx512_bf16 or amx_bf16): libtorch emulates them and bfloat16 will be several times SLOWER than float32. Use float32 here.");
        else
            Once("bf16-half-rate", $"bfloat16 was requested, but this processor ({CpuCapabilities.ModelName}, {CpuCapabilities.Isa}, no AMX) computes bfloat16 dot products at half its float32 rate: bfloat16 will be SLOWER than float32 (on an Intel Xeon of family 6, model 207, mixed-precision BERT-base training ran at 0.65× float32's speed). Use float32 here.");
    }
}
