namespace Bert.Tokenization;

/// <summary>
/// Lets an object that serves many threads be disposed while calls are running: each public call holds a
/// <see cref="Call"/> (<see cref="Enter"/>) for as long as it uses the native state, and <see cref="Dispose"/> waits
/// for the calls holding one to leave before it runs the release (libtorch tensors, packed weights, an ONNX Runtime
/// session). Once <see cref="Dispose"/> began, <see cref="Enter"/> throws <see cref="ObjectDisposedException"/>, also
/// while it waits. A call costs two interlocked operations and no allocation.
/// </summary>
/// <remarks>
/// <see cref="Dispose"/> runs the release once: a second call, concurrent or later, returns at once. When the
/// disposing thread is itself inside a call of the object (a callback of that call disposes it), waiting would never
/// end: the release then runs when the last call leaves, on that call's thread.
/// </remarks>
internal sealed class DisposalGuard
{
    /// <summary>Set in <see cref="state"/> once <see cref="Dispose"/> began; the bits below count the calls inside.</summary>
    private const int DisposingFlag = 1 << 30;

    /// <summary>The guards the current thread is inside, innermost last.</summary>
    [ThreadStatic]
    private static List<DisposalGuard>? entered;

    private readonly Action release;
    private readonly object gate = new();
    private int state;
    private int released;
    private volatile bool releaseOnLastExit;

    /// <summary>A guard that runs <paramref name="release"/> once, when disposed and no call is inside.</summary>
    public DisposalGuard(Action release)
    {
        ArgumentNullException.ThrowIfNull(release);
        this.release = release;
    }

    /// <summary>Whether <see cref="Dispose"/> began (the release may still be waiting for running calls).</summary>
    public bool IsDisposed => (Volatile.Read(ref state) & DisposingFlag) != 0;

    /// <summary>Starts a call; dispose the result when the call no longer needs the native state.</summary>
    /// <param name="owner">The guarded object, named by the exception.</param>
    /// <exception cref="ObjectDisposedException"><see cref="Dispose"/> began.</exception>
    public Call Enter(object owner)
    {
        if ((Interlocked.Increment(ref state) & DisposingFlag) != 0)
        {
            Exit();
            ThrowDisposed(owner);
        }
        (entered ??= new List<DisposalGuard>(4)).Add(this);
        return new Call(this);
    }

    /// <summary>
    /// Refuses new calls, waits for the running ones to leave and runs the release; inside a call of its own, leaves
    /// the release to the last call out. Does nothing when called again.
    /// </summary>
    public void Dispose()
    {
        if (!TryBeginDisposing()) return;
        if (entered?.Contains(this) == true)
        {
            // This thread holds a call: the count cannot reach zero before that call leaves, and that call sees the flag.
            releaseOnLastExit = true;
            return;
        }
        lock (gate)
        {
            while ((Volatile.Read(ref state) & ~DisposingFlag) != 0)
                Monitor.Wait(gate);
        }
        Release();
    }

    private bool TryBeginDisposing()
    {
        int current = Volatile.Read(ref state);
        while ((current & DisposingFlag) == 0)
        {
            int seen = Interlocked.CompareExchange(ref state, current | DisposingFlag, current);
            if (seen == current) return true;
            current = seen;
        }
        return false;
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref state) != DisposingFlag) return;
        if (releaseOnLastExit)
            Release();
        else
            lock (gate) Monitor.PulseAll(gate);
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref released, 1) == 0) release();
    }

    private static void ThrowDisposed(object owner) => throw new ObjectDisposedException(owner.GetType().FullName);

    /// <summary>One running call: disposing it leaves the guard (on the thread that entered it).</summary>
    public readonly struct Call : IDisposable
    {
        private readonly DisposalGuard? guard;

        internal Call(DisposalGuard guard) => this.guard = guard;

        /// <summary>Leaves the guard; the last call out after <see cref="DisposalGuard.Dispose"/> began lets the release run.</summary>
        public void Dispose()
        {
            if (guard is null) return;
            var stack = entered!;
            stack.RemoveAt(stack.LastIndexOf(guard));
            guard.Exit();
        }
    }
}
