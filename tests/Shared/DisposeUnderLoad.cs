using FluentAssertions;

namespace Bert.Tests;

/// <summary>
/// Disposes a serving object while threads are calling it (a host shutting down or reloading a model), round after
/// round: each call must return a valid result or throw <see cref="ObjectDisposedException"/>, calls after
/// <c>Dispose</c> must throw it, and the process must survive (before the fix, native state freed under running calls
/// crashed it).
/// </summary>
public static class DisposeUnderLoad
{
    /// <summary>Runs the rounds and checks every call.</summary>
    /// <param name="create">Makes a fresh object for each round.</param>
    /// <param name="call">One call; returns whether its result is valid.</param>
    /// <param name="rounds">Objects disposed under load.</param>
    /// <param name="threads">Threads calling each object.</param>
    /// <param name="loadTime">How long the threads call before <c>Dispose</c>.</param>
    /// <returns>The number of calls that returned and that threw <see cref="ObjectDisposedException"/>.</returns>
    public static (int Completed, int Refused) Check<T>(Func<T> create, Func<T, bool> call, int rounds = 12, int threads = 4, int loadTime = 30)
        where T : IDisposable
    {
        int completed = 0, refused = 0;
        for (int round = 0; round < rounds; round++)
        {
            var target = create();
            call(target).Should().BeTrue("a call before Dispose returns a valid result");
            var outcomes = new ThreadOutcome[threads];
            var workers = Enumerable.Range(0, threads).Select(i =>
            {
                outcomes[i] = new ThreadOutcome();
                var worker = new Thread(() => Hammer(target, call, outcomes[i])) { IsBackground = true };
                worker.Start();
                return worker;
            }).ToArray();
            Thread.Sleep(loadTime);
            target.Dispose();
            foreach (var worker in workers)
                worker.Join(TimeSpan.FromSeconds(30)).Should().BeTrue("every caller stops with ObjectDisposedException once Dispose began");
            foreach (var outcome in outcomes)
            {
                outcome.Unexpected.Should().BeNull("a call racing Dispose returns or throws ObjectDisposedException");
                outcome.Invalid.Should().Be(0, "every call that returned has a valid result");
                completed += outcome.Completed;
                refused++;
            }
            target.Invoking(t => call(t)).Should().Throw<ObjectDisposedException>("a call after Dispose is refused");
            target.Invoking(t => t.Dispose()).Should().NotThrow("disposing again does nothing");
        }
        return (completed, refused);
    }

    private static void Hammer<T>(T target, Func<T, bool> call, ThreadOutcome outcome)
    {
        try
        {
            while (true)
            {
                if (call(target)) outcome.Completed++;
                else outcome.Invalid++;
            }
        }
        catch (ObjectDisposedException)
        {
            // The expected end: Dispose began.
        }
        catch (Exception ex)
        {
            outcome.Unexpected = ex;
        }
    }

    private sealed class ThreadOutcome
    {
        public int Completed;
        public int Invalid;
        public Exception? Unexpected;
    }
}
