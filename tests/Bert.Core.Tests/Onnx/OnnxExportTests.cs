using Bert.Core.Modeling;
using Bert.Core.Onnx;
using Bert.Core.Tests.Modeling;
using Bert.Tests;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Onnx;

/// <summary>
/// The exported ONNX graph run by ONNX Runtime against BertModel run by TorchSharp on the same padded batches: a
/// random BERT per activation, the keras-bert TensorFlow fixture and the pretrained all-MiniLM-L6-v2.
/// </summary>
public class OnnxExportTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    private static BertConfig SmallConfig(string act) => new()
    {
        VocabSize = 60, HiddenSize = 32, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 64,
        HiddenAct = act, MaxPositionEmbeddings = 40, TypeVocabSize = 2,
    };

    [Theory]
    [InlineData("gelu", 12)]
    [InlineData("gelu_new", 12)]
    [InlineData("relu", 12)]
    [InlineData("gelu", 17)]
    [InlineData("gelu_new", 18)]
    public void Random_BERT_exported_matches_TorchSharp_on_a_padded_batch(string act, int opset)
    {
        using var model = new BertModelBuilder(SmallConfig(act)).WithSeed(11).Build();
        var (sequenceError, pooledError) = Compare(model, new OnnxExportOptions { Opset = opset }, batch: 5, length: 13, seed: 3);
        output.WriteLine($"{act}, opset {opset}: max |diff| last_hidden_state {sequenceError:E2} (all positions, padding included), pooler_output {pooledError:E2}");
        sequenceError.Should().BeLessThan(Tolerance);
        pooledError.Should().BeLessThan(Tolerance);
    }

    [SharedFact(ModelTestData.KerasFixture)]
    public void Keras_bert_TensorFlow_fixture_exported_matches_TorchSharp()
    {
        using var model = new BertModelBuilder(BertConfig.FromJsonFile(ModelTestData.KerasConfig)).WithCheckpoint(ModelTestData.KerasPrefix).Build();
        var (sequenceError, pooledError) = Compare(model, null, batch: 4, length: 16, seed: 5);
        output.WriteLine($"keras-bert-tiny: max |diff| last_hidden_state {sequenceError:E2}, pooler_output {pooledError:E2}");
        sequenceError.Should().BeLessThan(Tolerance);
        pooledError.Should().BeLessThan(Tolerance);
    }

    [Fact]
    public void Pretrained_MiniLM_exported_matches_TorchSharp_on_a_padded_batch()
    {
        using var folder = new Bert.Core.Tests.Checkpoints.TempFolder();
        using var model = MiniLmOnnxParityTests.LoadMiniLm(folder.Path);
        var (ids, types, mask) = MiniLmOnnxParityTests.PaddedBatch(copies: 2);
        using var idsT = tensor(ids);
        using var typesT = tensor(types);
        using var maskT = tensor(mask);
        var (sequenceError, pooledError) = Compare(model, null, idsT, typesT, maskT);
        var (realError, scale) = RealTokenError(model, idsT, typesT, maskT);
        output.WriteLine($"all-MiniLM-L6-v2 ({ids.GetLength(0)}x{ids.GetLength(1)}, padded): max |diff| pooler_output {pooledError:E2}, " +
            $"last_hidden_state {sequenceError:E2} (real tokens {realError:E2}; max |value| {scale:F2})");
        pooledError.Should().BeLessThan(Tolerance);
        // float32 with another summation order (ORT's fused Attention/MatMul kernels vs libtorch's) through 6 layers
        // whose activations reach 5.7: about 1e-5 of the largest value, as MiniLmOnnxParityTests measures for the
        // Hugging Face export of the same model.
        (sequenceError / scale).Should().BeLessThan(2e-5);
        realError.Should().BeLessThan(Tolerance, "unpadded positions agree to float32 rounding");
    }

    [Theory]
    [InlineData(EmbeddingPooling.Mean, true)]
    [InlineData(EmbeddingPooling.Mean, false)]
    [InlineData(EmbeddingPooling.Cls, true)]
    [InlineData(EmbeddingPooling.Pooler, false)]
    public void Embedder_exported_matches_pooling_computed_with_TorchSharp(EmbeddingPooling pooling, bool normalize)
    {
        using var model = new BertModelBuilder(SmallConfig("gelu")).WithSeed(12).Build();
        var (ids, types, mask) = ModelTestData.RandomBatch(model.Config, 4, 11, seed: 8);
        using var stream = new MemoryStream();
        OnnxExport.ExportEmbedder(model, stream, pooling, normalize);
        var onnx = OnnxRuntimeRunner.Run(stream.ToArray(), ids, types, mask);
        onnx.Keys.Should().Equal(OnnxExport.SentenceEmbedding);

        using var noGrad = no_grad();
        using var result = model.forward(ids, types, mask);
        using var scope = NewDisposeScope();
        var m = mask.unsqueeze(-1).to(ScalarType.Float32);                                           // (B, T, 1)
        var pooled = pooling switch
        {
            EmbeddingPooling.Mean => (result.SequenceOutput * m).sum(1) / m.sum(1).clamp_min(1),
            EmbeddingPooling.Cls => result.SequenceOutput.select(1, 0),
            _ => result.PooledOutput,
        };
        if (normalize) pooled = nn.functional.normalize(pooled, p: 2, dim: 1);
        double error = OnnxRuntimeRunner.MaxAbsDiff(pooled.data<float>().ToArray(), onnx[OnnxExport.SentenceEmbedding]);
        output.WriteLine($"{pooling}, normalize {normalize}: max |diff| {error:E2}");
        error.Should().BeLessThan(Tolerance);
    }

    [Theory]
    [InlineData("gelu", OnnxExportOptions.DefaultOpset, "BiasGelu")]
    [InlineData("gelu_new", OnnxExportOptions.DefaultOpset, "FastGelu")]
    [InlineData("gelu", 17, "BiasGelu")]
    public void ONNX_Runtime_fuses_the_exported_graph_into_its_BERT_kernels(string act, int opset, string gelu)
    {
        using var model = new BertModelBuilder(SmallConfig(act)).WithSeed(13).Build();
        using var stream = new MemoryStream();
        OnnxExport.ExportModel(model, stream, new OnnxExportOptions { Opset = opset });
        using var folder = new Bert.Core.Tests.Checkpoints.TempFolder();
        var operators = OnnxRuntimeRunner.OptimizedOperators(stream.ToArray(), folder.Path);
        output.WriteLine($"{act}, opset {opset}: " + string.Join(", ", operators.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")));
        int layers = model.Config.NumHiddenLayers;
        operators.GetValueOrDefault("SkipLayerNormalization").Should().Be(2 * layers + 1, "every residual Add + LayerNorm, and the embeddings' last Add + LayerNorm");
        operators.GetValueOrDefault(gelu).Should().Be(layers, "the intermediate bias Add and its GELU become one kernel");
        if (opset <= 12)
        {
            operators.GetValueOrDefault("Attention").Should().Be(layers, "each layer's Q/K/V projections, softmax and mask become one Attention kernel");
            operators.Should().NotContainKey("Softmax");
        }
        else
        {
            operators.Should().NotContainKey("Attention", "ORT 1.31 matches the attention mask only in its opset-11 form (why the default opset is 12)");
        }
    }

    [PythonOnnxFact]
    public void Exported_files_pass_the_ONNX_checker_of_the_onnx_Python_package()
    {
        using var model = new BertModelBuilder(SmallConfig("gelu_new")).WithSeed(14).Build();
        using var folder = new Bert.Core.Tests.Checkpoints.TempFolder();
        var files = new List<string>();
        foreach (int opset in new[] { OnnxExportOptions.DefaultOpset, 17 })
        {
            string path = Path.Combine(folder.Path, $"model-{opset}.onnx");
            OnnxExport.ExportModel(model, path, new OnnxExportOptions { Opset = opset });
            files.Add(path);
        }
        string embedder = Path.Combine(folder.Path, "embedder.onnx");
        OnnxExport.ExportEmbedder(model, embedder, EmbeddingPooling.Mean, normalize: true);
        files.Add(embedder);

        // full_check also runs ONNX's shape inference over the graph (strict mode).
        const string script = "import sys, onnx\nfor p in sys.argv[1:]:\n    m = onnx.load(p)\n    onnx.checker.check_model(m, full_check=True)\n    print(p, 'opset', m.opset_import[0].version, 'ir', m.ir_version, 'ok')";
        var (exitCode, text) = PythonOnnx.Run(script, [.. files]);
        output.WriteLine(text);
        exitCode.Should().Be(0, text);
        text.Split('\n').Count(l => l.EndsWith(" ok", StringComparison.Ordinal)).Should().Be(files.Count);
    }

    [Fact]
    public void Opset_outside_the_supported_range_is_refused_naming_the_property()
    {
        using var model = new BertModelBuilder(SmallConfig("gelu")).Build();
        var act = () => OnnxExport.ExportModel(model, new MemoryStream(), new OnnxExportOptions { Opset = 11 });
        act.Should().Throw<ArgumentException>().WithMessage("*Opset*12*18*11*");
    }

    private static (double Error, double Scale) RealTokenError(BertModel model, Tensor ids, Tensor types, Tensor mask)
    {
        using var stream = new MemoryStream();
        OnnxExport.ExportModel(model, stream);
        var onnx = OnnxRuntimeRunner.Run(stream.ToArray(), ids, types, mask)[OnnxExport.LastHiddenState];
        using var noGrad = no_grad();
        using var result = model.forward(ids, types, mask);
        var expected = result.SequenceOutput.data<float>().ToArray();
        var real = mask.data<long>().ToArray();
        int hidden = model.Config.HiddenSize;
        double error = Enumerable.Range(0, expected.Length).Where(i => real[i / hidden] == 1).Max(i => Math.Abs(expected[i] - onnx[i]));
        return (error, expected.Max(Math.Abs));
    }

    private (double Sequence, double Pooled) Compare(BertModel model, OnnxExportOptions? options, int batch, int length, long seed)
    {
        var (ids, types, mask) = ModelTestData.RandomBatch(model.Config, batch, length, seed);
        using (ids)
        using (types)
        using (mask)
            return Compare(model, options, ids, types, mask);
    }

    private static (double Sequence, double Pooled) Compare(BertModel model, OnnxExportOptions? options, Tensor ids, Tensor types, Tensor mask)
    {
        using var stream = new MemoryStream();
        OnnxExport.ExportModel(model, stream, options);
        var onnx = OnnxRuntimeRunner.Run(stream.ToArray(), ids, types, mask);
        using var noGrad = no_grad();
        using var result = model.forward(ids, types, mask);
        return (OnnxRuntimeRunner.MaxAbsDiff(result.SequenceOutput.data<float>().ToArray(), onnx[OnnxExport.LastHiddenState]),
            OnnxRuntimeRunner.MaxAbsDiff(result.PooledOutput.data<float>().ToArray(), onnx[OnnxExport.PoolerOutput]));
    }
}
