using System.Collections.Concurrent;
using Bert.Core.Modeling;
using Bert.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Training;

public class InferenceStreamsTests
{
    /// <summary>The thread count libtorch gives a thread it has not seen before (the process default).</summary>
    private static int FreshThreadCount()
    {
        int count = 0;
        var thread = new Thread(() => count = torch.get_num_threads());
        thread.Start();
        thread.Join();
        return count;
    }

    [Fact]
    public void Every_batch_runs_once_on_a_worker_with_one_libtorch_thread_in_inference_mode_and_nothing_process_wide_changes()
    {
        TorchRuntime.EnsureAvailable();
        int callerThreads = torch.get_num_threads();
        int freshBefore = FreshThreadCount();
        const int Count = 9;
        var seen = new ConcurrentBag<(int Batch, int Thread, int LibtorchThreads, bool Grad, bool Inference)>();
        InferenceStreams.Run(Count, 2, b =>
        {
            // A product big enough for libtorch's parallel_for: it must not reset the worker's thread count.
            using var a = rand(256, 256);
            using var p = a.matmul(a);
            seen.Add((b, Environment.CurrentManagedThreadId, torch.get_num_threads(), is_grad_enabled(), is_inference_mode_enabled()));
        }, CancellationToken.None);

        seen.Select(s => s.Batch).Order().Should().Equal(Enumerable.Range(0, Count));
        seen.Should().OnlyContain(s => s.Thread != Environment.CurrentManagedThreadId, "the batches run on the streams' threads");
        seen.Select(s => s.Thread).Distinct().Count().Should().BeLessThanOrEqualTo(2);
        seen.Should().OnlyContain(s => s.LibtorchThreads == 1, "each stream runs with one libtorch thread, also after a parallel product");
        seen.Should().OnlyContain(s => !s.Grad && s.Inference, "inference runs in libtorch's inference mode");
        torch.get_num_threads().Should().Be(callerThreads, "the calling thread keeps its threads");
        is_grad_enabled().Should().BeTrue("the caller's grad mode is its own");
        is_inference_mode_enabled().Should().BeFalse();
        FreshThreadCount().Should().Be(freshBefore, "the process default that new threads get is untouched");
    }

    [Fact]
    public void Each_batch_has_its_own_dispose_scope_and_inference_mode_on_both_paths()
    {
        foreach (int streams in new[] { 1, 2 })
        {
            var made = new ConcurrentBag<Tensor>();
            var modes = new ConcurrentBag<bool>();
            InferenceStreams.Run(4, streams, b =>
            {
                made.Add(ones(3) * b);
                modes.Add(is_inference_mode_enabled());
            }, CancellationToken.None);
            made.Should().HaveCount(4).And.OnlyContain(t => t.IsInvalid, $"with {streams} stream(s) the batch's tensors are freed with it");
            modes.Should().HaveCount(4).And.OnlyContain(m => m, $"with {streams} stream(s) each batch runs in inference mode");
            is_inference_mode_enabled().Should().BeFalse("the calling thread leaves inference mode after the loop");
        }
    }

    [Fact]
    public void A_loop_that_runs_while_another_runs_shares_the_cores_with_one_libtorch_thread()
    {
        TorchRuntime.EnsureAvailable();
        int callerThreads = torch.get_num_threads();
        int freshThreads = FreshThreadCount();
        foreach (bool shareCores in new[] { true, false })
        {
            var seen = new ConcurrentDictionary<string, int>();
            using var firstRunning = new ManualResetEventSlim();
            using var secondDone = new ManualResetEventSlim();
            var first = new Thread(() => InferenceStreams.Run(2, 1, b =>
            {
                if (b == 1)
                {
                    seen["first, alone again"] = torch.get_num_threads();
                    return;
                }
                seen["first, alone"] = torch.get_num_threads();
                firstRunning.Set();
                secondDone.Wait(TimeSpan.FromSeconds(60));
            }, CancellationToken.None, shareCores));
            first.Start();
            firstRunning.Wait(TimeSpan.FromSeconds(60)).Should().BeTrue();
            InferenceStreams.Run(1, 1, b => seen["second, beside the first"] = torch.get_num_threads(), CancellationToken.None, shareCores);
            seen["streams beside the first"] = InferenceStreams.StreamCount(4, CPU);
            secondDone.Set();
            first.Join();

            seen["first, alone"].Should().Be(freshThreads, "a loop alone keeps its thread's libtorch threads");
            seen["first, alone again"].Should().Be(freshThreads, "once the other loop ended, the next batch has all threads again");
            seen["second, beside the first"].Should().Be(shareCores ? 1 : callerThreads,
                shareCores ? "a batch run while another loop runs takes one libtorch thread" : "without sharing a batch keeps its threads");
            seen["streams beside the first"].Should().Be(1, "no streams start while another loop takes the cores");
            torch.get_num_threads().Should().Be(callerThreads, "the calling thread gets its own count back");
        }
    }

    [Fact]
    public void A_model_trains_after_inference_through_the_loop()
    {
        // Inference tensors cannot take part in autograd; nothing made in the loop may stay in the model.
        TorchRuntime.EnsureAvailable();
        manual_seed(3);
        using var model = new BertModel(new BertConfig { VocabSize = 20, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 16 });
        using var ids = randint(0, 20, [4, 6]);
        using var types = zeros_like(ids);
        using var mask = ones_like(ids);
        model.eval();
        foreach (int streams in new[] { 1, 2 })
            InferenceStreams.Run(2, streams, b => _ = model.forward(ids.narrow(0, 2 * b, 2), types.narrow(0, 2 * b, 2), mask.narrow(0, 2 * b, 2)).PooledOutput.data<float>().ToArray(), CancellationToken.None);
        model.train();
        using var scope = NewDisposeScope();
        var loss = model.forward(ids, types, mask).PooledOutput.square().sum();
        loss.backward();
        model.parameters().Select(p => p.grad).Should().NotContainNulls("every weight gets a gradient after the inference passes");
    }

    [Fact]
    public void The_first_exception_is_rethrown_with_its_type_and_stops_the_other_streams()
    {
        int started = 0;
        var act = () => InferenceStreams.Run(1000, 2, b =>
        {
            Interlocked.Increment(ref started);
            if (b == 3) throw new InvalidDataException("batch 3 is malformed");
            Thread.Sleep(2);
        }, CancellationToken.None);

        act.Should().Throw<InvalidDataException>().WithMessage("batch 3 is malformed");
        started.Should().BeLessThan(50, "the other stream stops after its current batch");
    }

    [Fact]
    public void Cancellation_stops_between_batches_on_both_paths()
    {
        foreach (int streams in new[] { 1, 2 })
        {
            using var cancel = new CancellationTokenSource();
            int started = 0;
            var act = () => InferenceStreams.Run(1000, streams, b =>
            {
                if (Interlocked.Increment(ref started) == 5) cancel.Cancel();
                Thread.Sleep(1);
            }, cancel.Token);

            act.Should().Throw<OperationCanceledException>();
            started.Should().BeLessThan(10, $"with {streams} stream(s) no batch starts after the cancellation is seen");
        }
    }

    [Fact]
    public void Streams_give_the_outputs_of_batches_run_one_after_another_on_all_threads()
    {
        var config = new BertConfig { VocabSize = 500, HiddenSize = 128, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 512, MaxPositionEmbeddings = 64 };
        manual_seed(5);
        using var model = new BertModel(config);
        model.eval();
        var lengths = new[] { 61, 40, 33, 17, 9, 3 };
        var generator = new Random(7);
        var batches = lengths.Select(t => Enumerable.Range(0, 4 * t).Select(_ => (long)generator.Next(1, 500)).ToArray()).ToArray();
        float[][] Pass(int streams)
        {
            var outputs = new float[batches.Length][];
            InferenceStreams.Run(batches.Length, streams, b =>
            {
                var ids = tensor(batches[b], [4, lengths[b]]);
                outputs[b] = model.forward(ids, zeros_like(ids), ones_like(ids)).SequenceOutput.data<float>().ToArray();
            }, CancellationToken.None);
            return outputs;
        }

        var sequential = Pass(1);
        var parallel = Pass(2);
        for (int b = 0; b < batches.Length; b++)
        {
            parallel[b].Should().HaveCount(sequential[b].Length);
            double worst = parallel[b].Zip(sequential[b]).Max(p => Math.Abs(p.First - p.Second));
            worst.Should().BeLessThan(1e-5, $"batch {b} (length {lengths[b]}): only the summation order differs");
        }
        Pass(2).Should().BeEquivalentTo(parallel, o => o.WithStrictOrdering(), "a batch always runs on one thread, so streams are deterministic");
    }

    [Fact]
    public void A_call_with_fewer_texts_than_streams_times_batch_size_gets_one_batch_per_stream()
    {
        TorchRuntime.EnsureAvailable();
        var order = Enumerable.Range(0, 16).Reverse().ToArray();
        int streams = InferenceStreams.StreamCount(16, CPU);
        var batches = InferenceStreams.Batches(order, 32, CPU);
        batches.SelectMany(b => b).Should().Equal(order, "batches keep the order they are given");
        batches.Should().HaveCount(streams, $"{streams} stream(s) on this processor ({CpuCapabilities.Isa})");
        InferenceStreams.Batches(order, 5, CPU).Select(b => b.Length).Should().Equal(5, 5, 5, 1);
        InferenceStreams.Batches([3], 32, CPU).Should().ContainSingle().Which.Should().Equal(3);
        bool saved = TorchRuntime.ParallelInferenceBatches;
        try
        {
            TorchRuntime.ParallelInferenceBatches = false;
            InferenceStreams.Batches(order, 32, CPU).Should().ContainSingle("one batch at a time keeps the batch size");
        }
        finally
        {
            TorchRuntime.ParallelInferenceBatches = saved;
        }
    }

    [Fact]
    public void Streams_are_used_only_for_several_batches_on_the_CPU_of_the_measured_kind_when_allowed()
    {
        TorchRuntime.EnsureAvailable();
        InferenceStreams.StreamCount(1, CPU).Should().Be(1, "one batch has nothing to run beside it");
        InferenceStreams.StreamCount(8, new Device(DeviceType.CUDA, 0)).Should().Be(1, "streams are a CPU measure");
        bool saved = TorchRuntime.ParallelInferenceBatches;
        try
        {
            TorchRuntime.ParallelInferenceBatches = false;
            InferenceStreams.StreamCount(8, CPU).Should().Be(1, "turned off");
        }
        finally
        {
            TorchRuntime.ParallelInferenceBatches = saved;
        }
        int expected = OperatingSystem.IsLinux() && CpuInfo.InferenceTuningExpected ? Math.Min(8, torch.get_num_threads()) : 1;
        InferenceStreams.StreamCount(8, CPU).Should().Be(expected, $"this processor is {CpuInfo.Vendor} with {CpuCapabilities.Isa}");
        InferenceStreams.StreamCount(3, CPU).Should().BeLessThanOrEqualTo(3);

        int nested = 0;
        InferenceStreams.Run(2, 2, _ => nested = Math.Max(nested, InferenceStreams.StreamCount(8, CPU)), CancellationToken.None);
        nested.Should().Be(1, "a stream does not start streams of its own");
    }
}
