using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Bert.Core.Modeling;

/// <summary>
/// Splits one matrix product of <see cref="PackedGemm"/> over the calling thread's libtorch threads: the parts run in an
/// OpenMP parallel region of libtorch's own OpenMP runtime (<c>GOMP_parallel</c>, which libtorch's <c>at::parallel_for</c>
/// also uses), on the very threads that run libtorch's other operations.
/// </summary>
/// <remarks>
/// Why not threads of our own: between two products libtorch runs LayerNorm, attention and GELU on its OpenMP threads,
/// and with libgomp's default wait policy those spin for a while after each operation; a worker thread of ours then
/// had to share a core with a spinning one. Measured on a 2-core Zen 3 with a worker that spun 10 µs and then
/// yielded: MiniLM at one 128-token sequence 44.3 sequences/s under <c>OMP_WAIT_POLICY=PASSIVE</c> but 14.1 with the
/// policy unset (ONNX Runtime: 49.5-51.0). On one team of threads there is nothing to share. Where the runtime's entry
/// points are not found (not libgomp), the product runs on the calling thread alone.
/// </remarks>
internal static unsafe class ProductThreads
{
    /// <summary>One product: part <c>part</c> of <c>parts</c> is run by one thread.</summary>
    public interface IJob
    {
        /// <summary>Runs one part; an exception is rethrown on the calling thread after every part has ended.</summary>
        void Run(int part, int parts);
    }

    private sealed class OpenMp(nint parallel, nint threadNumber, nint threadCount, nint barrier)
    {
        public readonly delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void> Parallel =
            (delegate* unmanaged<delegate* unmanaged<nint, void>, nint, uint, uint, void>)parallel;
        public readonly delegate* unmanaged<int> ThreadNumber = (delegate* unmanaged<int>)threadNumber;
        public readonly delegate* unmanaged<int> ThreadCount = (delegate* unmanaged<int>)threadCount;
        public readonly delegate* unmanaged<void> Barrier = (delegate* unmanaged<void>)barrier;
    }

    private sealed class Region(IJob job)
    {
        public readonly IJob Job = job;
        public Exception? Failure;
    }

    private static readonly Lazy<OpenMp?> Runtime = new(Resolve);

    /// <summary>True when products can be split (libtorch's OpenMP runtime was found).</summary>
    public static bool CanSplit => Runtime.Value is not null;

    /// <summary>
    /// Runs <paramref name="job"/> in up to <paramref name="parts"/> parts, one per thread of an OpenMP team (the calling
    /// thread is one of them); with one part, or without the runtime, on the calling thread.
    /// </summary>
    public static void Run(int parts, IJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (parts <= 1 || Runtime.Value is not { } omp)
        {
            job.Run(0, 1);
            return;
        }
        var region = new Region(job);
        var handle = GCHandle.Alloc(region);
        try
        {
            omp.Parallel(&Part, GCHandle.ToIntPtr(handle), (uint)parts, 0);
        }
        finally
        {
            handle.Free();
        }
        if (region.Failure is { } failure) ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// Runs <paramref name="body"/> for each index 0 … <paramref name="count"/> − 1 on up to <paramref name="threads"/>
    /// threads of the team, each thread claiming the next index when it is done with one (the faster core takes more).
    /// The first exception is rethrown on the calling thread; indices not yet claimed by then still run.
    /// </summary>
    public static void ForEach(int count, int threads, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (count > 0) Run(Math.Clamp(threads, 1, count), new Claims(count, body));
    }

    private sealed class Claims(int count, Action<int> body) : IJob
    {
        private int claimed = -1;

        public void Run(int part, int parts)
        {
            for (int index; (index = Interlocked.Increment(ref claimed)) < count;)
                body(index);
        }
    }

    [UnmanagedCallersOnly]
    private static void Part(nint data)
    {
        var region = (Region)GCHandle.FromIntPtr(data).Target!;
        try
        {
            // The team can be smaller than asked for (nested regions, thread limits): split by its real size.
            var omp = Runtime.Value!;
            region.Job.Run(omp.ThreadNumber(), omp.ThreadCount());
        }
        catch (Exception ex)
        {
            // Nothing may unwind into the OpenMP runtime: keep the first failure for the calling thread.
            Interlocked.CompareExchange(ref region.Failure, ex, null);
        }
    }

    /// <summary>
    /// Waits until every thread of the team running the current <see cref="Run"/> has called this (an OpenMP barrier).
    /// Call it from <see cref="IJob.Run"/> only, from every part, and only when the job has more than one part.
    /// </summary>
    public static void Barrier() => Runtime.Value!.Barrier();

    private static OpenMp? Resolve() =>
        NativeLibraries.LibtorchExports("GOMP_parallel", "omp_get_thread_num", "omp_get_num_threads", "GOMP_barrier")
            is [var parallel, var number, var count, var barrier]
            ? new OpenMp(parallel, number, count, barrier)
            : null;
}
