using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Training;

/// <summary>
/// The one loop that runs inference over many batches (<c>TextClassifier.PredictBatch</c>, the classification trainer's
/// evaluation, <see cref="Embeddings.TextEmbedder.EmbedBatch"/>). Each batch runs in libtorch's inference mode in its
/// own dispose scope. Inference mode is <c>no_grad</c> without autograd's bookkeeping (version counters, view
/// tracking): on a 2-core Zen 3, <c>TextClassifier</c> (small shape) predicted KNBC sentences one at a time at 164
/// against 147 per second under <c>no_grad</c>, and in batches of 16 at the same speed. Tensors made in it are
/// inference tensors, which autograd refuses later; the bodies copy out plain values, and the dispose scope frees the
/// tensors. Where it was measured to pay, the batches run in parallel streams instead of one after another: as many
/// worker threads as libtorch has intra-op threads on the calling thread, each with one libtorch thread of
/// its own, taking the next batch as they finish. Two small batches side by side keep both cores busy where one
/// batch split over two threads waits at OpenMP barriers and runs its small products below the GEMM library's
/// threaded speed: a whole KNBC inference pass on a 2-core Zen 3 (AVX2) ran 31-50% faster with the small shape and
/// 8-18% faster with BERT-base (bench <c>--mode knbc-infer</c> against <c>--sequential-batches</c>). Each batch is
/// then computed by one thread, so its float32 results can differ from the two-thread ones in the last bits (another
/// summation order), and two batches' activations are in memory at once.
/// Concurrent calls share the cores: a loop that starts while another runs starts no streams, and its batches run with
/// one libtorch thread while the other lasts (see <see cref="Run"/>).
/// </summary>
/// <remarks>
/// The workers set their own thread counts only: OpenMP's <c>omp_set_num_threads</c> and MKL's
/// <c>mkl_set_num_threads_local</c> act on the calling thread. <c>torch.set_num_threads</c> is not used because it
/// also changes the process-wide default that libtorch gives every thread it meets later.
/// </remarks>
internal static class InferenceStreams
{
    private static readonly Lazy<ThreadCountSetters?> Setters = new(ResolveSetters);

    [ThreadStatic]
    private static bool isWorker;

    /// <summary>Inference loops running now, on any thread.</summary>
    private static int running;

    private delegate void OmpSetNumThreads(int count);

    private delegate int MklSetNumThreadsLocal(int count);

    private sealed record ThreadCountSetters(OmpSetNumThreads Omp, MklSetNumThreadsLocal Mkl);

    /// <summary>
    /// Runs <paramref name="body"/> for batch 0 … <paramref name="count"/> − 1, each in inference mode in a dispose
    /// scope of its own (so <paramref name="body"/> must copy out what it keeps, as plain values), in parallel streams where
    /// <see cref="StreamCount"/> allows more than one, else in order on the calling thread. The first exception
    /// (cancellation included) stops the other streams after their current batch and is rethrown here.
    /// </summary>
    public static void ForEachBatch(int count, Device device, Action<int> body, CancellationToken cancellationToken) =>
        Run(count, StreamCount(count, device), body, cancellationToken, shareCores: Applies(device));

    /// <summary>
    /// <see cref="ForEachBatch"/> with a given number of streams (more than one needs the per-thread setters, see
    /// <see cref="StreamCount"/>); the tests run the parallel form through this on any processor. With
    /// <paramref name="shareCores"/>, a batch run in order on the calling thread while another loop is running (another
    /// caller's <c>Predict</c>, say) runs with one libtorch thread: concurrent calls then share the cores as streams do,
    /// instead of each splitting its products over all threads and waiting on the others'. On a 2-core Zen 3, 512 KNBC
    /// sentences predicted one per <c>TextClassifier.Predict</c> call (small shape): one caller 141-154 per second; 2
    /// concurrent callers 262-286 (171-185 before), 4 callers 355-371 (160-161 before).
    /// </summary>
    internal static void Run(int count, int streams, Action<int> body, CancellationToken cancellationToken, bool shareCores = false)
    {
        ArgumentNullException.ThrowIfNull(body);
        Interlocked.Increment(ref running);
        try
        {
            if (streams <= 1)
                RunInOrder(count, body, shareCores, cancellationToken);
            else
                RunStreams(count, streams, body, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref running);
        }
    }

    private static void RunInOrder(int count, Action<int> body, bool shareCores, CancellationToken cancellationToken)
    {
        using var inference = inference_mode();
        for (int b = 0; b < count; b++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            if (shareCores && Volatile.Read(ref running) > 1 && Setters.Value is { } setters)
            {
                using var oneThread = new OneLibtorchThread(setters);
                body(b);
            }
            else
            {
                body(b);
            }
        }
    }

    private static void RunStreams(int count, int streams, Action<int> body, CancellationToken cancellationToken)
    {
        var setters = Setters.Value ?? throw new PlatformNotSupportedException("OpenMP's and MKL's per-thread thread-count setters were not found in libtorch_cpu; batches can only run one after another here.");
        streams = Math.Min(streams, count);
        int next = -1;
        ExceptionDispatchInfo? failure = null;
        void Work()
        {
            try
            {
                isWorker = true;
                using var oneThread = new OneLibtorchThread(setters);
                using var inference = inference_mode();
                while (Volatile.Read(ref failure) is null)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    int b = Interlocked.Increment(ref next);
                    if (b >= count) break;
                    using var scope = NewDisposeScope();
                    body(b);
                }
            }
            catch (Exception ex)
            {
                Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(ex), null);
            }
        }

        // The calling thread only waits. Each stream is a fresh thread, so its thread-local settings (OpenMP, MKL, grad
        // mode, dispose scopes) start clean and end with it.
        var threads = new Thread[streams];
        for (int s = 0; s < streams; s++)
        {
            threads[s] = new Thread(Work) { IsBackground = true, Name = $"Bert.NET inference stream {s + 1}" };
            threads[s].Start();
        }
        foreach (var thread in threads) thread.Join();
        failure?.Throw();
    }

    /// <summary>
    /// Cuts <paramref name="order"/> (row indices, in the order to run them) into batches of at most
    /// <paramref name="batchSize"/> rows; where streams run, into at least as many batches as there are streams, so
    /// that a call with fewer rows than streams × batch size keeps every stream busy. Measured on a 2-core Zen 3, one
    /// 16 × 128 batch run as two batches of 8 side by side against as one on both threads: small shape 124 against
    /// 108 sequences/s, MiniLM 41.9 against 37.8, BERT-base 5.2 against 4.4; two single texts: MiniLM 35 against 31.
    /// </summary>
    public static int[][] Batches(int[] order, int batchSize, Device device)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int streams = StreamCount(order.Length, device);
        int size = Math.Min(batchSize, Math.Max(1, (order.Length + streams - 1) / streams));
        return order.Chunk(size).ToArray();
    }

    /// <summary>
    /// How many streams <see cref="ForEachBatch"/> would use for <paramref name="count"/> batches on
    /// <paramref name="device"/>: the calling thread's libtorch thread count (at most one per batch) when
    /// <see cref="TorchRuntime.ParallelInferenceBatches"/> is on, the device is the CPU, the processor is of a kind
    /// it was measured on (<see cref="CpuCapabilities.InferenceTuningMeasured"/>) and OpenMP's and MKL's per-thread setters were found, and no
    /// other inference loop is running (its threads already take the cores); else 1.
    /// </summary>
    public static int StreamCount(int count, Device device) =>
        count < 2 || !Applies(device) || Volatile.Read(ref running) > 0 ? 1 : Math.Min(count, torch.get_num_threads());

    /// <summary>
    /// Whether streams and core sharing apply on <paramref name="device"/> from this thread: the switch, the CPU, the
    /// processor kind they were measured on, the per-thread setters, and not inside a stream already.
    /// </summary>
    private static bool Applies(Device device) =>
        !isWorker && TorchRuntime.ParallelInferenceBatches && device.type == DeviceType.CPU
        && CpuCapabilities.InferenceTuningMeasured && Setters.Value is not null;

    /// <summary>One libtorch thread (OpenMP and MKL) on the calling thread until disposed, then its own counts again.</summary>
    private readonly struct OneLibtorchThread : IDisposable
    {
        private readonly ThreadCountSetters setters;
        private readonly int openMp;
        private readonly int mkl;

        public OneLibtorchThread(ThreadCountSetters setters)
        {
            this.setters = setters;
            // libtorch sets a thread's OpenMP count the first time the thread asks for it, from the process default;
            // asking first makes that happen before the count is overwritten (and gives the count to restore).
            openMp = torch.get_num_threads();
            setters.Omp(1);
            mkl = setters.Mkl(1);    // the previous thread-local count; 0 means MKL's process-wide one
        }

        public void Dispose()
        {
            setters.Omp(openMp);
            setters.Mkl(mkl);
        }
    }

    /// <summary>OpenMP's and MKL's per-thread setters, looked up through libtorch_cpu (which links both); null where absent.</summary>
    private static ThreadCountSetters? ResolveSetters()
    {
        // MKL's C entry point; the lower-case "mkl_set_num_threads_local" is its Fortran one (an int by reference).
        if (NativeLibraries.LibtorchExports("omp_set_num_threads", "MKL_Set_Num_Threads_Local") is not [var omp, var mkl])
            return null;
        return new ThreadCountSetters(
            Marshal.GetDelegateForFunctionPointer<OmpSetNumThreads>(omp),
            Marshal.GetDelegateForFunctionPointer<MklSetNumThreadsLocal>(mkl));
    }
}
