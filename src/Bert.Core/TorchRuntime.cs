using System.Runtime.InteropServices;
using TorchSharp;

namespace Bert.Core;

/// <summary>
/// Checks once that libtorch loads, and turns the bare <see cref="TypeInitializationException"/>
/// TorchSharp throws when it does not into an exception that says what is wrong and how to fix it.
/// </summary>
public static class TorchRuntime
{
    private static readonly Lazy<Exception?> LoadError = new(TryLoad, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// Makes sure TorchSharp's native runtime is usable. Library entry points call this; applications
    /// may call it at start-up to fail early.
    /// </summary>
    /// <exception cref="InvalidOperationException">libtorch or libLibTorchSharp could not be loaded.</exception>
    public static void EnsureAvailable()
    {
        if (LoadError.Value is { } error)
            throw error;
    }

    /// <summary>
    /// Makes glibc's allocator keep the memory of freed tensors for the next ones: blocks up to 1 GiB come from the
    /// heap instead of a fresh <c>mmap</c> each, and freed memory is not handed back to the kernel until 2 GiB of it
    /// is free. Without this every forward pass faults its activations in again as new zeroed pages (libtorch's CPU
    /// allocator is plain <c>malloc</c>); with it, BERT-base inference at batch 16 x 128 takes 60% fewer page faults
    /// and runs 3-20% faster (bench/Bert.Benchmarks). Call it once at start-up of an application that trains or
    /// predicts; it is not called for you because it is process-wide and permanent: the process's resident memory
    /// then stays near its peak instead of shrinking after a large batch.
    /// </summary>
    /// <returns>
    /// True when applied; false when the C library is not glibc, or when the environment already sets glibc's malloc
    /// parameters (<c>MALLOC_MMAP_THRESHOLD_</c>, <c>MALLOC_TRIM_THRESHOLD_</c>, <c>MALLOC_TOP_PAD_</c> or
    /// <c>GLIBC_TUNABLES</c>), which are then left as the user set them.
    /// </returns>
    public static bool RetainFreedTensorMemory()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        foreach (var name in (string[])["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "GLIBC_TUNABLES"])
        {
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
                return false;
        }
        try
        {
            // Setting the thresholds explicitly also turns off glibc's dynamic mmap threshold (capped at 32 MiB).
            const int MTrimThreshold = -1, MTopPad = -2, MMmapThreshold = -3;
            return Mallopt(MMmapThreshold, 1 << 30) == 1
                & Mallopt(MTrimThreshold, int.MaxValue) == 1
                & Mallopt(MTopPad, 256 << 20) == 1;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not glibc (musl has no mallopt)
        }
    }

    /// <summary>
    /// Lets the MKL inside libtorch (which runs float32 matrix products) use its AVX2 kernels on an AMD processor. MKL
    /// checks the processor's vendor and, on anything but Intel, takes slower generic code paths; on a Zen 3 EPYC (AVX2,
    /// 2 threads) its products then run 15-40% slower than they can (bench <c>--mode ops</c>, BERT-base at 2048 rows:
    /// 768→3072 in 88 instead of 69-73 ms; BERT-base training steps 16-23% faster overall). Call it once at start-up,
    /// before the first tensor operation. It is not called for you because it changes, for the whole process, how a
    /// library inside libtorch answers one question (it sets MKL's cached answer to "Intel"; no code is modified).
    /// Results stay float32-accurate but are not bit-identical to the generic path's (another summation order).
    /// </summary>
    /// <returns>
    /// True when applied. False, leaving MKL as it is, on processors where it was not measured (Intel, which needs
    /// nothing; AMD with AVX-512, where oneDNN already runs the products; not Linux x64), when the environment sets
    /// <c>MKL_ENABLE_INSTRUCTIONS</c>, <c>MKL_CBWR</c> or <c>MKL_DEBUG_CPU_TYPE</c>, or when libtorch's MKL is not the
    /// build this was written for.
    /// </returns>
    public static bool UseMklAvx2KernelsOnAmd() => MklVendorCheck.TryBypass();

    /// <summary>
    /// Whether inference over many batches (<c>TextClassifier.PredictBatch</c>, the classification trainer's evaluation,
    /// <see cref="Embeddings.TextEmbedder.EmbedBatch"/>) may run its batches in parallel streams: as many worker threads
    /// as libtorch has threads (<c>torch.get_num_threads()</c> on the calling thread), each running whole batches with
    /// one libtorch thread of its own, instead of one batch at a time on all threads. On by default; it applies only on
    /// the CPU, on x64 Linux processors with AVX2 and without AVX-512 and on Intel processors with AVX-512 (where it was
    /// measured: a whole KNBC inference pass 31-50% faster with a small BERT and 8-18% with BERT-base on a 2-core Zen 3;
    /// on a 2-core Intel Xeon, MiniLM over the KNBC length mix 482-504 against 259-325 sequences/s, and
    /// <c>TextClassifier.PredictBatch</c> 1463 against 960 predictions/s), and only for at least two
    /// texts; a call with fewer texts than streams × batch size is cut into one batch per stream (16 texts of 128
    /// tokens: 10-17% faster as two batches of 8 side by side). Results are the same up to
    /// float32 rounding (each batch is summed by one thread); two batches' activations are in memory at once. The
    /// workers change only their own thread counts; nothing process-wide is set. The same switch covers concurrent
    /// calls (a server's threads each calling <c>TextClassifier.Predict</c>, say): a call made while another is running
    /// starts no streams, and its batches run with one libtorch thread while the other call lasts, so the calls share
    /// the cores instead of each splitting its products over all threads (4 concurrent callers predicting KNBC
    /// sentences one at a time, small shape, 2-core Zen 3: 355-371 against 160-161 predictions/s). Turn it off to run
    /// batches one after another on all threads, e.g. when other work shares the cores.
    /// </summary>
    public static bool ParallelInferenceBatches { get; set; } = true;

    // DllImport, not LibraryImport: the int-only signature needs no marshalling, and the generator would require unsafe code.
#pragma warning disable SYSLIB1054
    [DllImport("libc.so.6", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);
#pragma warning restore SYSLIB1054

    private static Exception? TryLoad()
    {
        try
        {
            // Any tensor operation runs TorchSharp's static initialiser, which loads the natives.
            using var probe = torch.zeros(1);
            return null;
        }
        catch (TypeInitializationException ex)
        {
            return new InvalidOperationException(TorchLoadFailure.Describe(ex), ex);
        }
        catch (DllNotFoundException ex)
        {
            return new InvalidOperationException(TorchLoadFailure.Describe(ex), ex);
        }
    }
}
