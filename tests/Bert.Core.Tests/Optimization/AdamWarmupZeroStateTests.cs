using Bert.Core.Optimization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Optimization;

/// <summary>
/// Blocks whose moments are still exactly zero and whose gradient is zero only get the weight decay
/// (<see cref="AdamWarmupKernel.UpdateBlocks"/>): these tests hold that shortcut to the bits of the full update.
/// </summary>
public class AdamWarmupZeroStateTests
{
    public AdamWarmupZeroStateTests() => TorchRuntime.EnsureAvailable();

    [Theory]
    [InlineData(false, 0.01f, 1f)]
    [InlineData(false, 0f, 1f)]
    [InlineData(true, 0.01f, 0.37f)]
    public void The_block_kernel_gives_the_bits_of_the_full_update(bool amsgrad, float weightDecay, float gradScale)
    {
        // Ten full blocks and a tail of 37 (not a multiple of any vector width).
        const int N = 10 * AdamWarmupKernel.ZeroStateBlock + 37;
        var random = new Random(11);
        var theta = Enumerable.Range(0, N).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        // Values where the order of the decay's operations shows: signed zeros, a subnormal, large, infinite, NaN.
        theta[3] = -0f; theta[4] = 0f; theta[5] = -1e-41f; theta[6] = 3e38f; theta[7] = float.NegativeInfinity; theta[8] = float.NaN;
        theta[N - 1] = -0f; theta[N - 2] = 1e-41f;
        float[] Copy(float[] a) => (float[])a.Clone();
        var (pFull, mFull, vFull, hFull) = (Copy(theta), new float[N], new float[N], amsgrad ? new float[N] : []);
        var (pBlock, mBlock, vBlock, hBlock) = (Copy(theta), new float[N], new float[N], amsgrad ? new float[N] : []);
        var flags = Enumerable.Repeat(true, (N + AdamWarmupKernel.ZeroStateBlock - 1) / AdamWarmupKernel.ZeroStateBlock).ToArray();

        // Blocks 2 and the tail get gradients from step 1, block 5 from step 4 on, block 7 only at step 6; the others get
        // signed zeros only.
        for (var step = 1; step <= 12; step++)
        {
            var grad = new float[N];
            for (var k = 0; k < N; k++) grad[k] = k % 3 == 0 ? -0f : 0f;
            void Touch(int block)
            {
                var end = Math.Min(N, (block + 1) * AdamWarmupKernel.ZeroStateBlock);
                for (var k = block * AdamWarmupKernel.ZeroStateBlock; k < end; k += 5) grad[k] = (float)(random.NextDouble() - 0.5);
            }
            Touch(2);
            Touch(10);
            if (step >= 4) Touch(5);
            if (step == 6) Touch(7);
            var c = new AdamWarmupCoefficients(0.9f, 0.1f, 0.999f, 0.001f, 1e-7f, 0.01f * step, weightDecay, gradScale);
            AdamWarmupKernel.Update(pFull, grad, mFull, vFull, hFull, c);
            AdamWarmupKernel.UpdateBlocks(pBlock, grad, mBlock, vBlock, hBlock, flags, c);

            Bits(pBlock).Should().Equal(Bits(pFull), $"theta after step {step}");
            Bits(mBlock).Should().Equal(Bits(mFull), $"m after step {step}");
            Bits(vBlock).Should().Equal(Bits(vFull), $"v after step {step}");
            Bits(hBlock).Should().Equal(Bits(hFull), $"vhat after step {step}");
        }
        flags.Should().Equal(true, true, false, true, true, false, true, false, true, true, false);
        if (weightDecay != 0)
            Bits(pBlock.AsSpan(0, 256).ToArray()).Should().NotEqual(Bits(theta.AsSpan(0, 256).ToArray()), "untouched blocks still decay");
        else
            Bits(pBlock.AsSpan(0, 256).ToArray()).Should().Equal(Bits(theta.AsSpan(0, 256).ToArray()), "without decay an untouched block stays");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_embedding_trained_on_a_few_rows_matches_the_full_update_through_resume_and_the_tensor_path(bool amsgrad)
    {
        var options = new AdamWarmupOptions { LearningRate = 0.01, WarmupSteps = 3, DecaySteps = 30, WeightDecay = 0.01, MaxGradNorm = 0.5, Amsgrad = amsgrad };
        var directory = Directory.CreateTempSubdirectory("adamwarmup-zero-");
        try
        {
            var statePath = Path.Combine(directory.FullName, "optimizer.state");
            var full = Run(options, skip: false, save: null, load: null);
            var skipped = Run(options, skip: true, save: null, load: null);
            for (var j = 0; j < full.Length; j++)
                Bits(skipped[j]).Should().Equal(Bits(full[j]), $"parameter {j}, uninterrupted");

            var interrupted = Run(options, skip: true, save: (12, statePath), load: null);
            var resumed = Run(options, skip: true, save: null, load: (12, statePath, interrupted));
            for (var j = 0; j < full.Length; j++)
                Bits(resumed[j]).Should().Equal(Bits(full[j]), $"parameter {j}, resumed after step 12");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// 30 steps on a 500 x 64 embedding (with signed zeros in it) and a bias: each step's gradient touches a few rows; row
    /// 40 is touched only at step 8, which runs the tensor-operation path, so a flag left set there would skip its
    /// moments later. Returns the parameters' values (at the save step when saving).
    /// </summary>
    private static float[][] Run(AdamWarmupOptions options, bool skip, (int Step, string Path)? save, (int Step, string Path, float[][] Values)? load)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(5);
        var embedding = new Parameter(torch.randn(500, 64));
        var bias = new Parameter(torch.randn(64));
        using (torch.no_grad())
        {
            embedding[7, 3] = torch.tensor(-0f);
            embedding[300, 0] = torch.tensor(-0f);
        }
        var parameters = new[] { ("embeddings.word_embeddings.weight", embedding), ("dense.bias", bias) };
        using var optimizer = new AdamWarmup(parameters, options) { SkipZeroStateBlocks = skip };
        var first = 1;
        if (load is { } l)
        {
            using (torch.no_grad())
            {
                embedding.copy_(torch.tensor(l.Values[0], new long[] { 500, 64 }));
                bias.copy_(torch.tensor(l.Values[1], new long[] { 64 }));
            }
            optimizer.LoadState(l.Path);
            first = l.Step + 1;
        }
        var random = new Random(3);
        var rowsByStep = Enumerable.Range(0, 31).Select(_ => Enumerable.Range(0, 4).Select(_ => random.Next(100, 140)).ToArray()).ToArray();
        for (var step = first; step <= 30; step++)
        {
            torch.manual_seed(1000 + step);
            var grad = torch.zeros(500, 64);
            foreach (var row in rowsByStep[step]) grad[row] = torch.randn(64);
            if (step == 8) grad[40] = torch.randn(64);
            embedding.grad = grad;
            bias.grad = torch.randn(64);
            optimizer.UseTensorOperations = step == 8;
            optimizer.Step();
            if (save is { } s && s.Step == step)
            {
                optimizer.SaveState(s.Path);
                break;
            }
        }
        return [embedding.data<float>().ToArray(), bias.data<float>().ToArray()];
    }

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();
}
