using System.Text.Json;
using Bert.Core.Modeling;
using Bert.Tests;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Tests.Modeling;

/// <summary>Goldens in TestData/model (written by make_model_goldens.py) and the keras-bert fixture, with small tensor helpers.</summary>
internal static class ModelTestData
{
    public const string KerasFixture = "fixtures/keras-bert-tiny";

    public static string ModelDir => Path.Combine(AppContext.BaseDirectory, "TestData", "model");

    public static string Variant(string name) => Path.Combine(ModelDir, "tiny-" + name);

    public static string KerasPrefix => SharedData.PathOf("fixtures/keras-bert-tiny/bert_model.ckpt");

    public static string KerasConfig => SharedData.PathOf("fixtures/keras-bert-tiny/bert_config.json");

    public static string KerasExpected => SharedData.PathOf("fixtures/keras-bert-tiny/expected_outputs.json");

    /// <summary>A tiny config for behaviour tests (2 layers, hidden 8).</summary>
    public static BertConfig TinyConfig(string act = "gelu") => new()
    {
        VocabSize = 30,
        HiddenSize = 8,
        NumHiddenLayers = 2,
        NumAttentionHeads = 2,
        IntermediateSize = 16,
        HiddenAct = act,
        MaxPositionEmbeddings = 12,
        TypeVocabSize = 2,
    };

    /// <summary>Inputs and expected outputs of an expected_outputs.json (null entries become NaN).</summary>
    public sealed record Expected(long[,] InputIds, long[,] TokenTypeIds, long[,] AttentionMask, double[,,] Sequence, double[,] Pooled);

    public static Expected ReadExpected(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement;
        return new Expected(
            Matrix(root.GetProperty("input_ids")), Matrix(root.GetProperty("token_type_ids")), Matrix(root.GetProperty("attention_mask")),
            Cube(root.GetProperty("sequence_output")), DoubleMatrix(root.GetProperty("pooled_output")));
    }

    private static long[,] Matrix(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();
        var m = new long[rows.Length, rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) m[i, j] = rows[i][j];
        return m;
    }

    private static double[,] DoubleMatrix(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(Value).ToArray()).ToArray();
        var m = new double[rows.Length, rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) m[i, j] = rows[i][j];
        return m;
    }

    private static double[,,] Cube(JsonElement e)
    {
        var rows = e.EnumerateArray().ToArray();
        int t = rows[0].GetArrayLength();
        int h = rows[0].EnumerateArray().First(x => x.ValueKind == JsonValueKind.Array).GetArrayLength();
        var c = new double[rows.Length, t, h];
        for (int i = 0; i < rows.Length; i++)
        {
            int j = 0;
            foreach (var token in rows[i].EnumerateArray())
            {
                for (int k = 0; k < h; k++)
                    c[i, j, k] = token.ValueKind == JsonValueKind.Null ? double.NaN : token[k].GetDouble();
                j++;
            }
        }
        return c;
    }

    private static double Value(JsonElement x) => x.ValueKind == JsonValueKind.Null ? double.NaN : x.GetDouble();

    public static Tensor ToTensor(long[,] values) => tensor(values);

    /// <summary>Largest |actual - expected| over entries where expected is not NaN; also returns how many were compared.</summary>
    public static (double MaxError, int Compared) MaxAbsError(Tensor actual, double[,,] expected)
    {
        using var cpu = actual.detach().cpu().to(ScalarType.Float64);
        var flat = cpu.data<double>().ToArray();
        int b = expected.GetLength(0), t = expected.GetLength(1), h = expected.GetLength(2);
        actual.shape.Should().Equal(b, t, h);
        double max = 0;
        int compared = 0;
        for (int i = 0; i < b; i++)
            for (int j = 0; j < t; j++)
                for (int k = 0; k < h; k++)
                {
                    double e = expected[i, j, k];
                    if (double.IsNaN(e)) continue;
                    max = Math.Max(max, Math.Abs(flat[(i * t + j) * h + k] - e));
                    compared++;
                }
        return (max, compared);
    }

    public static double MaxAbsError(Tensor actual, double[,] expected)
    {
        using var cpu = actual.detach().cpu().to(ScalarType.Float64);
        var flat = cpu.data<double>().ToArray();
        int b = expected.GetLength(0), h = expected.GetLength(1);
        actual.shape.Should().Equal(b, h);
        double max = 0;
        for (int i = 0; i < b; i++)
            for (int k = 0; k < h; k++)
                max = Math.Max(max, Math.Abs(flat[i * h + k] - expected[i, k]));
        return max;
    }

    /// <summary>Runs a model on an expected file's inputs, without gradients.</summary>
    public static BertModelOutput Run(BertModel model, Expected expected, bool hiddenStates = false)
    {
        using var noGrad = no_grad();
        using var ids = ToTensor(expected.InputIds);
        using var types = ToTensor(expected.TokenTypeIds);
        using var mask = ToTensor(expected.AttentionMask);
        return model.forward(ids, types, mask, hiddenStates);
    }

    public static (Tensor Ids, Tensor Types, Tensor Mask) RandomBatch(BertConfig config, int batch, int length, long seed)
    {
        var g = new Generator((ulong)seed, CPU);
        var ids = randint(0, config.VocabSize, [batch, length], generator: g, dtype: ScalarType.Int64);
        var types = randint(0, config.TypeVocabSize, [batch, length], generator: g, dtype: ScalarType.Int64);
        var mask = ones([batch, length], ScalarType.Int64);
        if (length > 2) mask[batch - 1, TensorIndex.Slice(length / 2)] = tensor(0L);
        g.Dispose();
        return (ids, types, mask);
    }
}
