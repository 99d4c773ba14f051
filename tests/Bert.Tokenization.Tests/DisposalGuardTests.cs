// These tests block on a waiting Dispose on purpose (no synchronization context here).
#pragma warning disable xUnit1031
namespace Bert.Tokenization.Tests;

/// <summary>
/// The guard that makes the serving types' Dispose wait for running calls: one release, after the last call; calls
/// starting once Dispose began are refused, also while it waits; no deadlock when a call disposes its own object or
/// two threads dispose at once.
/// </summary>
public class DisposalGuardTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void Dispose_waits_for_a_running_call_and_refuses_calls_that_start_while_it_waits()
    {
        int releases = 0;
        var guard = new DisposalGuard(() => Interlocked.Increment(ref releases));
        var call = guard.Enter(this);
        var disposing = Task.Run(guard.Dispose);
        SpinWait.SpinUntil(() => guard.IsDisposed, Timeout).Should().BeTrue();

        guard.Invoking(g => g.Enter(this)).Should().Throw<ObjectDisposedException>().WithMessage($"*{GetType().FullName}*");
        disposing.Wait(100).Should().BeFalse("the running call still holds the native state");
        Volatile.Read(ref releases).Should().Be(0);

        call.Dispose();
        disposing.Wait(Timeout).Should().BeTrue();
        releases.Should().Be(1);
        guard.Invoking(g => g.Enter(this)).Should().Throw<ObjectDisposedException>();
    }

    [Fact]
    public void A_call_that_disposes_its_own_object_does_not_wait_for_itself_and_the_release_runs_when_it_leaves()
    {
        int releases = 0;
        var guard = new DisposalGuard(() => releases++);
        using (guard.Enter(this))
        {
            using (guard.Enter(this))
            {
                guard.Dispose();
                releases.Should().Be(0, "the calls of this thread still run");
            }
            releases.Should().Be(0);
        }
        releases.Should().Be(1);
        guard.Dispose();
        releases.Should().Be(1);
    }

    [Fact]
    public void Disposing_twice_at_once_releases_once_and_neither_call_deadlocks()
    {
        int releases = 0;
        var guard = new DisposalGuard(() => Interlocked.Increment(ref releases));
        var call = guard.Enter(this);
        var first = Task.Run(guard.Dispose);
        SpinWait.SpinUntil(() => guard.IsDisposed, Timeout).Should().BeTrue();
        Task.Run(guard.Dispose).Wait(Timeout).Should().BeTrue("a second Dispose returns at once");
        call.Dispose();
        first.Wait(Timeout).Should().BeTrue();
        releases.Should().Be(1);
    }

    [Fact]
    public void Many_threads_entering_and_leaving_around_Dispose_release_once_after_the_last_call()
    {
        int inside = 0, releases = 0, releasedWhileInside = 0;
        var guard = new DisposalGuard(() =>
        {
            if (Volatile.Read(ref inside) != 0) Interlocked.Increment(ref releasedWhileInside);
            Interlocked.Increment(ref releases);
        });
        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            try
            {
                while (true)
                {
                    using var call = guard.Enter(this);
                    Interlocked.Increment(ref inside);
                    Thread.SpinWait(50);
                    Interlocked.Decrement(ref inside);
                }
            }
            catch (ObjectDisposedException)
            {
            }
        })).ToArray();
        Thread.Sleep(20);
        guard.Dispose();
        Task.WaitAll(workers, Timeout).Should().BeTrue();
        releases.Should().Be(1);
        releasedWhileInside.Should().Be(0);
    }
}
