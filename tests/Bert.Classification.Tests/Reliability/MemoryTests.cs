// These tests wait on a child process with timeouts; blocking waits are intended (no synchronization context here).
#pragma warning disable xUnit1031
using System.Globalization;

namespace Bert.Classification.Tests.Reliability;

/// <summary>Resident memory stays flat over long prediction and training runs (measured in a child process).</summary>
public class MemoryTests
{
    [Fact]
    public void Resident_memory_stays_flat_over_2000_predictions_and_300_training_steps()
    {
        using var child = ChildProcess.Start("memory", "2000", "300");
        var outputTask = child.StandardOutput.ReadToEndAsync();
        var errorsTask = child.StandardError.ReadToEndAsync();
        if (!child.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
            throw new Xunit.Sdk.XunitException("the child did not finish within 5 minutes: " + outputTask.Result + errorsTask.Result);
        }
        string output = outputTask.Result;
        string errors = errorsTask.Result;
        child.ExitCode.Should().Be(0, errors);
        var rss = output.Split('\n').Where(l => l.StartsWith("rss ", StringComparison.Ordinal))
            .ToDictionary(l => l.Split(' ')[1], l => double.Parse(l.Split(' ')[2], CultureInfo.InvariantCulture));

        // Within a few percent (and a few MB of allocator slack) after warm-up. Training RSS moves up and down by
        // tens of MB as the allocator reuses blocks (the best-epoch snapshot is a copy of the weights), so a leak is
        // judged by the trend: the peak of the last third of the epochs against the peak of the epochs after warm-up.
        rss["predict-end"].Should().BeLessThan(rss["predict-warm"] * 1.05 + 8, output);
        var epochs = rss.Where(kv => kv.Key.StartsWith("epoch-", StringComparison.Ordinal))
            .OrderBy(kv => int.Parse(kv.Key[6..], CultureInfo.InvariantCulture)).Select(kv => kv.Value).ToArray();
        epochs.Length.Should().BeGreaterThanOrEqualTo(15, output);
        double early = epochs.Skip(3).Take(epochs.Length / 3).Max();
        double late = epochs.Skip(epochs.Length - epochs.Length / 3).Max();
        late.Should().BeLessThan(early * 1.05 + 8, output);
    }
}
