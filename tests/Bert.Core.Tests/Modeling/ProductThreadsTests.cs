using Bert.Core.Modeling;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// The split of <see cref="PackedGemm"/>'s products (and of AdamWarmup's chunks) over an OpenMP team: every part or
/// index runs once, failures reach the caller.
/// </summary>
public class ProductThreadsTests
{
    private sealed class Recorder(int failingPart) : ProductThreads.IJob
    {
        public readonly int[] Runs = new int[4];
        public int Parts;

        public void Run(int part, int parts)
        {
            Parts = parts;
            Interlocked.Increment(ref Runs[part]);
            if (part == failingPart) throw new InvalidOperationException($"part {part} failed");
        }
    }

    [Fact]
    public void Every_part_runs_once_and_a_failing_part_throws_on_the_caller_after_the_others_ended()
    {
        int parts = Math.Min(2, Environment.ProcessorCount);
        for (int round = 0; round < 50; round++)
        {
            var ok = new Recorder(failingPart: -1);
            ProductThreads.Run(parts, ok);
            ok.Runs.Take(ok.Parts).Should().OnlyContain(r => r == 1);
        }
        var failing = new Recorder(failingPart: parts - 1);
        var act = () => ProductThreads.Run(parts, failing);
        act.Should().Throw<InvalidOperationException>().WithMessage($"part {parts - 1} failed");
        failing.Runs.Take(failing.Parts).Should().OnlyContain(r => r == 1);
        // The team is still usable.
        var after = new Recorder(failingPart: -1);
        ProductThreads.Run(parts, after);
        after.Runs.Take(after.Parts).Should().OnlyContain(r => r == 1);
    }

    [Fact]
    public void For_each_runs_every_index_once_and_rethrows_the_first_failure()
    {
        int threads = Math.Min(2, Environment.ProcessorCount);
        var runs = new int[1000];
        ProductThreads.ForEach(runs.Length, threads, i => Interlocked.Increment(ref runs[i]));
        runs.Should().OnlyContain(r => r == 1);
        ProductThreads.ForEach(0, threads, _ => throw new InvalidOperationException("no index to run"));

        var after = new int[100];
        var act = () => ProductThreads.ForEach(after.Length, threads, i =>
        {
            Interlocked.Increment(ref after[i]);
            if (i == 37) throw new InvalidOperationException("index 37 failed");
        });
        act.Should().Throw<InvalidOperationException>().WithMessage("index 37 failed");
        after[37].Should().Be(1);
    }
}
