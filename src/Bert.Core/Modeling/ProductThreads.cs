using System.Diagnostics;

namespace Bert.Core.Modeling;

/// <summary>
/// Splits one matrix product over the calling thread and up to <c>ProcessorCount − 1</c> worker threads (fork-join),
/// for <see cref="PackedGemm"/>. A product on few rows lasts tens to hundreds of microseconds, about what waking a
/// sleeping thread costs, so a worker waits for <see cref="SpinMicroseconds"/> after each part before it sleeps (the
/// products of one forward pass follow each other closer than that), spinning for the first
/// <see cref="BusySpinMicroseconds"/> and yielding its core in between after that. One product at a time uses the workers: a call
/// made while another holds them runs on its own thread.
/// </summary>
internal static class ProductThreads
{
    /// <summary>How long an idle worker spins for the next part, yielding its core after <see cref="BusySpinMicroseconds"/>, before it sleeps.</summary>
    public const int SpinMicroseconds = 200;

    /// <summary>
    /// How long an idle worker spins without yielding. Between two products libtorch runs the other operations
    /// (LayerNorm, attention) on its own OpenMP threads, which need the core: a worker that kept it for 200 µs made
    /// them slower than the products gained (MiniLM, one 128-token sequence, 2-core Zen 3: 43-44 sequences/s against
    /// 43-44 with MKL's products); yielding after 10 µs gave 47-48 against 40-41, and one KNBC sentence with the small
    /// shape 494-496 against 281-303.
    /// </summary>
    public const int BusySpinMicroseconds = 10;

    /// <summary>One product: part <c>part</c> of <c>parts</c> is run by one thread.</summary>
    public interface IJob
    {
        /// <summary>Runs one part; an exception is rethrown on the calling thread after every part has ended.</summary>
        void Run(int part, int parts);
    }

    private static readonly object StartGate = new();
    private static Worker[] workers = [];
    private static int taken;

    /// <summary>Runs <paramref name="job"/> in <paramref name="parts"/> parts: part 0 on the calling thread, the others on workers.</summary>
    public static void Run(int parts, IJob job)
    {
        parts = Math.Min(parts, Environment.ProcessorCount);
        if (parts <= 1 || Interlocked.CompareExchange(ref taken, 1, 0) != 0)
        {
            job.Run(0, 1);
            return;
        }
        try
        {
            var pool = Workers(parts - 1);
            for (int w = 0; w < parts - 1; w++) pool[w].Post(job, w + 1, parts);
            Exception? failure = null;
            try
            {
                job.Run(0, parts);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            // Every part is waited for, even after a failure: the job's memory must outlive its readers.
            for (int w = 0; w < parts - 1; w++)
            {
                var thrown = pool[w].Wait();
                failure ??= thrown;
            }
            if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        finally
        {
            Volatile.Write(ref taken, 0);
        }
    }

    private static Worker[] Workers(int count)
    {
        var pool = Volatile.Read(ref workers);
        if (pool.Length >= count) return pool;
        lock (StartGate)
        {
            pool = workers;
            if (pool.Length >= count) return pool;
            var grown = new Worker[count];
            pool.CopyTo(grown, 0);
            for (int w = pool.Length; w < count; w++) grown[w] = new Worker(w + 1);
            Volatile.Write(ref workers, grown);
            return grown;
        }
    }

    private sealed class Worker
    {
        private static readonly long SpinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
        private static readonly long BusySpinTicks = Stopwatch.Frequency * BusySpinMicroseconds / 1_000_000;
        private readonly object gate = new();
        private IJob? job;
        private int part, parts;
        private long posted, finished;
        private bool sleeping;
        private Exception? failure;

        public Worker(int index)
        {
            new Thread(Loop) { IsBackground = true, Name = $"Bert.NET product worker {index}" }.Start();
        }

        public void Post(IJob next, int nextPart, int nextParts)
        {
            job = next;
            part = nextPart;
            parts = nextParts;
            Interlocked.Increment(ref posted);
            lock (gate)
            {
                if (sleeping) Monitor.Pulse(gate);
            }
        }

        /// <summary>Waits for the part posted last; returns what it threw, if anything.</summary>
        public Exception? Wait()
        {
            long target = Volatile.Read(ref posted);
            var spinner = new SpinWait();
            while (Volatile.Read(ref finished) != target) spinner.SpinOnce(sleep1Threshold: -1);
            var thrown = failure;
            failure = null;
            return thrown;
        }

        private void Loop()
        {
            long seen = 0;
            while (true)
            {
                long start = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref posted) == seen)
                {
                    long waited = Stopwatch.GetTimestamp() - start;
                    if (waited < BusySpinTicks)
                    {
                        Thread.SpinWait(16);
                        continue;
                    }
                    if (waited < SpinTicks)
                    {
                        Thread.Yield();
                        continue;
                    }
                    lock (gate)
                    {
                        sleeping = true;
                        while (Volatile.Read(ref posted) == seen) Monitor.Wait(gate);
                        sleeping = false;
                    }
                }
                seen = Volatile.Read(ref posted);
                try
                {
                    job!.Run(part, parts);
                }
                catch (Exception ex)
                {
                    failure = ex;    // handed to the caller by Wait; the worker lives on
                }
                job = null;
                Volatile.Write(ref finished, seen);
            }
        }
    }
}
