using Bert.Core.Modeling;
using Bert.Core.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// <see cref="LinearKernel.Packed"/>: BertLinear's own kernel on a packed copy of the weight, for inference. Values
/// against float64 <c>nn.functional.linear</c> on row counts around the 6-row blocks, several input widths and panel
/// counts; the split over threads; the copy following every way the weight changes; and the fallbacks.
/// </summary>
public class PackedLinearTests
{
    public static TheoryData<long[], long> Shapes() => new()
    {
        { [1, 16], 16 },              // one row (the single-row kernel), one panel
        { [5, 3], 32 },               // fewer rows than a block, 3 inputs (AVX2: a 4-row block and a row)
        { [6, 64], 48 },              // exactly one block
        { [7, 64], 48 },              // a block and a row
        { [2, 9, 1000], 64 },         // 18 rows (3 blocks), an input width the kernels do not divide
        { [1, 128, 384], 384 },       // one 128-token MiniLM sequence: 21 blocks and 2 rows
        { [4, 256, 256], 1024 },      // the largest Auto row count, 64 panels
        { [9, 40], 80 },              // AVX-512: an 8-row block and a row; three panels and a pair
        { [3, 8, 24], 96 },           // AVX-512: three 8-row blocks, two groups of three panels
        { [1, 15, 72], 32 },          // AVX-512: an 8-row block, a 4-row block and 3 rows (a 15-token sentence), one pair
        { [1, 15, 72], 48 },          // AVX-512: the same rows on three panels
        { [4, 24], 48 },              // AVX-512: a 4-row block alone, three panels (AVX2 too)
        { [13, 40], 112 },            // AVX-512: 8 + 4 + 1 rows; three panels and two pairs (7 panels)
        { [2, 16], 16 },              // AVX-512: one panel alone (the AVX2 kernel)
        { [17, 203], 80 },            // AVX-512: two 8-row blocks over two passes of features (128 + 75), 203 = 8 × 25 + 3
    };

    [Theory]
    [InlineData(64)]     // two pairs of panels (AVX-512)
    [InlineData(48)]     // three panels (AVX-512)
    [InlineData(80)]     // three panels and a pair
    public void A_row_is_summed_the_same_in_a_block_of_8_or_of_4(int outFeatures)
    {
        // A 12-row input takes rows 8-11 in the 4-row block; the same four rows first in an 8-row input take the 8-row
        // block. Both sum from the bias feature after feature, so the rows are bit-identical (Predict and PredictBatch
        // then agree on them).
        using var scope = NewDisposeScope();
        using var layer = Layer(96, outFeatures, seed: 41);
        layer.Kernel = LinearKernel.Packed;
        var x = randn(new[] { 12L, 96 }, generator: new Generator(42));
        using var inference = inference_mode();
        var twelve = layer.call(x);
        var eight = layer.call(cat([x.narrow(0, 8, 4), x.narrow(0, 0, 4)]));
        twelve.narrow(0, 8, 4).eq(eight.narrow(0, 0, 4)).all().item<bool>().Should().BeTrue();
        RelativeError(twelve, Float64Reference(layer, x)).Should().BeLessThan(5e-6);
    }

    [Avx512Fact]
    public void A_row_gives_the_same_bits_alone_or_among_any_rows()
    {
        // Every AVX-512 block (8 rows, 4 rows, and the last 1-3 rows as a block of 4 whose missing rows repeat one into
        // scratch) sums a row from the bias feature after feature: a text predicted alone gives the bits it gets in a batch.
        // The 8-row blocks take the features 128 at a time and go on from the sums they stored: 300 features are three
        // such passes, which must still give the bits of the 4- and 2-row blocks' one pass.
        using var scope = NewDisposeScope();
        foreach (var (inFeatures, outFeatures) in new[] { (96, 48), (96, 64), (96, 80), (300, 48), (300, 64) })
        {
            using var layer = Layer(inFeatures, outFeatures, seed: 43);
            layer.Kernel = LinearKernel.Packed;
            var x = randn(new[] { 15L, inFeatures }, generator: new Generator(44));    // 8 + 4 + 3 rows
            using var inference = inference_mode();
            var all = layer.call(x);
            for (int r = 0; r < 15; r++)
                layer.call(x.narrow(0, r, 1)).eq(all.narrow(0, r, 1)).all().item<bool>()
                    .Should().BeTrue($"row {r} of 15 alone, {inFeatures} inputs, {outFeatures} outputs");
            layer.call(x.narrow(0, 12, 2)).eq(all.narrow(0, 12, 2)).all().item<bool>().Should().BeTrue("two rows");
            RelativeError(all, Float64Reference(layer, x)).Should().BeLessThan(5e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Packed_inference_matches_float64_linear(long[] inputShape, long outFeatures)
    {
        using var scope = NewDisposeScope();
        using var layer = Layer(inputShape[^1], outFeatures, seed: 11);
        layer.Kernel = LinearKernel.Packed;
        var x = randn(inputShape, generator: new Generator(12));
        Tensor y;
        using (inference_mode()) y = layer.call(x).clone();
        using (no_grad()) y.eq(layer.call(x)).all().item<bool>().Should().BeTrue("no_grad takes the same kernel as inference mode");

        var y64 = Float64Reference(layer, x);
        y.shape.Should().Equal(y64.shape);
        RelativeError(y, y64).Should().BeLessThan(5e-6, "float32 sums of up to 1000 products");
        using (no_grad())
            y.eq(BertLinear.Apply(x, layer.Weight, layer.Bias, LinearKernel.Gemm)).all().item<bool>()
                .Should().BeFalse("the packed kernel must really have run (MKL sums in another order)");
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void The_AVX2_kernel_matches_float64_linear_on_any_processor(long[] inputShape, long outFeatures)
    {
        // On an AVX-512 processor the theory above runs the AVX-512 kernel; this one runs the AVX2 kernel there too.
        using var scope = NewDisposeScope();
        using var layer = Layer(inputShape[^1], outFeatures, seed: 15);
        layer.Kernel = LinearKernel.Packed;
        var x = randn(inputShape, generator: new Generator(16));
        Tensor y;
        using (PackedGemm.Avx2Only())
        using (inference_mode())
            y = layer.call(x).clone();
        RelativeError(y, Float64Reference(layer, x)).Should().BeLessThan(5e-6);
    }

    [Fact]
    public void A_product_larger_than_the_kept_scratch_leaves_none_behind()
    {
        // Forced onto the packed kernel, 1100 rows of 4096 features need more row-block scratch than a thread keeps
        // (RowBlocks.RetainedFloats): the product gets it, gives the right values, and the thread keeps no more after.
        using var scope = NewDisposeScope();
        using var layer = Layer(4096, 48, seed: 51);
        layer.Kernel = LinearKernel.Packed;
        var x = randn(new[] { 1100L, 4096 }, generator: new Generator(52));
        using var inference = inference_mode();
        var y = layer.call(x);
        RelativeError(y, Float64Reference(layer, x)).Should().BeLessThan(5e-6);
        RowBlocks.RetainedOnThisThread.Should().BeLessThanOrEqualTo(RowBlocks.RetainedFloats + 16);
    }

    [Fact]
    public void A_non_contiguous_input_gives_the_same_values()
    {
        using var scope = NewDisposeScope();
        using var layer = Layer(64, 32, seed: 3);
        layer.Kernel = LinearKernel.Packed;
        var x = randn(new[] { 64L, 10 }, generator: new Generator(4)).t();    // (10, 64), strided
        using var inference = inference_mode();
        layer.call(x).eq(layer.call(x.contiguous())).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void The_results_do_not_depend_on_how_many_threads_share_the_panels()
    {
        // Each output is summed by one thread in one order whichever thread claims its panels, so 1, 2 and 3 parts are
        // bit-identical.
        using var scope = NewDisposeScope();
        using var layer = Layer(384, 1536, seed: 5);
        var x = randn(new[] { 128L, 384 }, generator: new Generator(6));
        using var packed = PackedLinearWeights.Pack(layer.Weight);
        using var inference = inference_mode();
        var one = PackedGemm.Multiply(x, packed, layer.Bias, threads: 1);
        PackedGemm.Multiply(x, packed, layer.Bias, threads: 2).eq(one).all().item<bool>().Should().BeTrue();
        PackedGemm.Multiply(x, packed, layer.Bias, threads: 3).eq(one).all().item<bool>().Should().BeTrue();
        RelativeError(one, Float64Reference(layer, x))
            .Should().BeLessThan(5e-6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Products_of_one_input_split_together_equal_each_alone(int threads)
    {
        // A layer's query, key and value: one split over the threads, each result as Multiply gives it alone. Widths of
        // 3 and 2 panels put a panel pair across two products with the AVX-512 kernel.
        using var scope = NewDisposeScope();
        var layers = new[] { Layer(40, 48, seed: 21), Layer(40, 32, seed: 22), Layer(40, 96, seed: 23) };
        foreach (var l in layers) l.Kernel = LinearKernel.Packed;
        var x = randn(new[] { 2L, 11, 40 }, generator: new Generator(24));
        var packed = layers.Select(l => PackedLinearWeights.Pack(l.Weight)).ToArray();
        try
        {
            using var inference = inference_mode();
            var together = PackedGemm.MultiplyEach(x, packed.Zip(layers, (p, l) => (p, (Tensor?)l.Bias)).ToArray(), threads);
            together.Should().HaveCount(3);
            for (int i = 0; i < 3; i++)
            {
                together[i].shape.Should().Equal(2, 11, layers[i].Weight.size(0));
                together[i].eq(PackedGemm.Multiply(x, packed[i], layers[i].Bias, threads: 1)).all().item<bool>().Should().BeTrue($"product {i}");
                RelativeError(together[i], Float64Reference(layers[i], x)).Should().BeLessThan(5e-6);
            }
            using var _ = no_grad();
            var viaLayers = BertLinear.ForwardEach(x, layers);
            for (int i = 0; i < 3; i++) viaLayers[i].eq(together[i]).all().item<bool>().Should().BeTrue("the layers' own packed copies, one split");
        }
        finally
        {
            foreach (var p in packed) p.Dispose();
            foreach (var l in layers) l.Dispose();
        }
    }

    [Fact]
    public void Concurrent_products_on_one_layer_are_all_right()
    {
        // One product at a time holds the workers; the others run on their own threads.
        using var scope = NewDisposeScope();
        using var layer = Layer(256, 512, seed: 8);
        layer.Kernel = LinearKernel.Packed;
        var inputs = Enumerable.Range(0, 8).Select(i => randn(new[] { 24L, 256 }, generator: new Generator((ulong)(100 + i)))).ToArray();
        Tensor[] expected;
        using (inference_mode()) expected = inputs.Select(x => layer.call(x).clone()).ToArray();
        var mismatches = 0;
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            using var inference = inference_mode();
            for (int round = 0; round < 20; round++)
                for (int i = 0; i < inputs.Length; i++)
                {
                    using var y = layer.call(inputs[i]);
                    if (!y.eq(expected[i]).all().item<bool>()) Interlocked.Increment(ref mismatches);
                }
        });
        mismatches.Should().Be(0);
    }

    [Fact]
    public void The_packed_copy_follows_every_change_of_the_weight()
    {
        using var scope = NewDisposeScope();
        using var layer = Layer(32, 16, seed: 9);
        layer.Kernel = LinearKernel.Packed;
        var x = randn(new[] { 8L, 32 }, generator: new Generator(10));
        void ShouldMatchTheWeightNow(string after)
        {
            Tensor y;
            using (inference_mode()) y = layer.call(x).clone();
            var y64 = Float64Reference(layer, x);
            RelativeError(y, y64).Should().BeLessThan(5e-6, $"the product after {after} must use the weight's new values");
        }

        ShouldMatchTheWeightNow("the first product");
        using (no_grad()) layer.Weight.add_(0.5);
        ShouldMatchTheWeightNow("an in-place add_");
        using (no_grad()) layer.Weight.copy_(randn(new[] { 16L, 32 }, generator: new Generator(13)));
        ShouldMatchTheWeightNow("copy_");
        using (var other = Layer(32, 16, seed: 14)) layer.load_state_dict(other.state_dict());
        ShouldMatchTheWeightNow("load_state_dict");
        using (no_grad()) layer.Bias.mul_(2);
        ShouldMatchTheWeightNow("a change of the bias (read at every product)");

        // AdamWarmup's fused step writes through the parameters' memory; it counts the change for libtorch.
        using var optimizer = new AdamWarmup(layer.parameters(), new AdamWarmupOptions { LearningRate = 0.1, DecaySteps = 10, WeightDecayExclusions = [] });
        for (int step = 0; step < 2; step++)
        {
            optimizer.ZeroGrad();
            layer.call(x).square().sum().backward();
            optimizer.Step();
            ShouldMatchTheWeightNow($"AdamWarmup step {step + 1}");
        }
    }

    [Fact]
    public void Products_that_need_gradients_use_the_gemm_and_get_them()
    {
        using var scope = NewDisposeScope();
        using var layer = Layer(64, 32, seed: 15);
        layer.Kernel = LinearKernel.Packed;
        var x = randn(new[] { 10L, 64 }, generator: new Generator(16));
        var y = layer.call(x);
        y.requires_grad.Should().BeTrue();
        using (no_grad()) y.eq(BertLinear.Apply(x, layer.Weight, layer.Bias, LinearKernel.Gemm)).all().item<bool>().Should().BeTrue();
        y.sum().backward();
        layer.Weight.grad.Should().NotBeNull();
    }

    [Fact]
    public void Weights_it_cannot_pack_fall_back_to_the_gemm()
    {
        using var scope = NewDisposeScope();
        var x = randn(new[] { 6L, 8 }, generator: new Generator(17));
        // 4 output features (a classifier's), not a multiple of the 16-wide panels.
        using var narrow = Layer(8, 4, seed: 18);
        narrow.Kernel = LinearKernel.Packed;
        using (inference_mode()) narrow.call(x).eq(BertLinear.Apply(x, narrow.Weight, narrow.Bias, LinearKernel.Gemm)).all().item<bool>().Should().BeTrue();
        // A layer made in inference mode has inference-tensor parameters, which have no version to follow.
        using (inference_mode())
        {
            using var made = new BertLinear(8, 16) { Kernel = LinearKernel.Packed };
            TensorVersions.Read(made.Weight).Should().BeNull();
            made.call(x).eq(BertLinear.Apply(x, made.Weight, made.Bias, LinearKernel.Gemm)).all().item<bool>().Should().BeTrue();
        }
    }

    [Theory]
    [InlineData(512L, false)]
    [InlineData(513L, false)]
    [InlineData(1024L, false)]
    [InlineData(1025L, false)]
    [InlineData(18L, true)]
    public void Auto_packs_where_it_was_measured_faster(long rows, bool needsGradient)
    {
        // Inference, AVX2 without AVX-512: up to PackedMaxRows rows; Intel with AVX-512: up to PackedMaxRowsAvx512;
        // elsewhere MKL (or oneDNN, see BertLinearTests).
        using var scope = NewDisposeScope();
        using var layer = Layer(1000, 64, seed: 19);
        var x = randn(new[] { rows, 1000L }, generator: new Generator(20)).requires_grad_(needsGradient);
        long maxRows = CpuInfo.Flags.Contains("avx512f") ? BertLinear.PackedMaxRowsAvx512 : BertLinear.PackedMaxRows;
        bool expectPacked = CpuInfo.InferenceTuningExpected && PackedGemm.IsSupported && !needsGradient && rows <= maxRows;
        Tensor auto, packed;
        using (no_grad())
        {
            layer.Kernel = LinearKernel.Packed;
            packed = layer.call(x.detach());
        }
        layer.Kernel = LinearKernel.Auto;
        using (needsGradient ? null : no_grad()) auto = layer.call(x).detach();
        auto.eq(packed).all().item<bool>().Should().Be(expectPacked, $"{CpuCapabilities.Isa}, {rows} rows, gradient {needsGradient}");
    }

    [Fact]
    public void Tensor_versions_count_in_place_changes_and_bumps()
    {
        using var scope = NewDisposeScope();
        var t = zeros(4);
        long before = TensorVersions.Read(t) ?? throw new InvalidOperationException("libtorch's version counter is not readable here");
        t.add_(1);
        TensorVersions.Read(t).Should().Be(before + 1);
        TensorVersions.Bump(t);
        TensorVersions.Read(t).Should().Be(before + 2);
        using (inference_mode())
        {
            var made = zeros(4);
            TensorVersions.Read(made).Should().BeNull("inference tensors have no version counter");
            TensorVersions.Bump(made);    // nothing to count, and no C++ exception
        }
    }

    /// <summary>A layer with seeded weights scaled by 1/sqrt(in) and a seeded bias (also for <see cref="PackedEpilogueTests"/>).</summary>
    internal static BertLinear Layer(long inFeatures, long outFeatures, int seed)
    {
        var layer = new BertLinear(inFeatures, outFeatures);
        var g = new Generator((ulong)seed);
        using (no_grad())
        {
            layer.Weight.copy_(randn(new[] { outFeatures, inFeatures }, generator: g) / Math.Sqrt(inFeatures));
            layer.Bias.copy_(randn(new[] { outFeatures }, generator: g));
        }
        return layer;
    }

    /// <summary>The layer's product in float64: the reference every packed result is held to.</summary>
    private static Tensor Float64Reference(BertLinear layer, Tensor x) =>
        nn.functional.linear(x.to(ScalarType.Float64), layer.Weight.detach().to(ScalarType.Float64), layer.Bias.detach().to(ScalarType.Float64));

    private static double RelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var e = expected.to(ScalarType.Float64);
        return (actual.to(ScalarType.Float64) - e).abs().max().item<double>() / e.abs().max().item<double>();
    }
}
