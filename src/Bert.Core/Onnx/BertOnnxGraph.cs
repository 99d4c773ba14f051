using System.Globalization;
using Bert.Core.Modeling;
using static TorchSharp.torch;

namespace Bert.Core.Onnx;

/// <summary>
/// Emits the ONNX graph of a <see cref="BertModel"/> from its parameters: the three int64 inputs, embeddings,
/// encoder layers and (on request) the pooler, in the standard operator patterns that ONNX Runtime's graph optimiser
/// fuses (EmbedLayerNormalization, Attention, SkipLayerNormalization, BiasGelu/FastGelu).
/// </summary>
/// <remarks>
/// Weights keep their state-dict names; Linear weights are stored transposed, (in, out), as MatMul takes them. The
/// attention mask becomes (1 - mask) * <see cref="MaskValue"/> added to the scores, built once and shared by the layers.
/// </remarks>
internal sealed class BertOnnxGraph
{
    /// <summary>
    /// The additive mask value of a padding key: -10000, the value ONNX Runtime's attention fusion looks for (Google's
    /// BERT used it too). <see cref="BertModel"/> adds float32's minimum instead; both give exp(score + mask) = 0 in
    /// float32 for any score BERT produces, so the probabilities are the same.
    /// </summary>
    public const float MaskValue = -10000f;

    private readonly OnnxGraphBuilder g;
    private readonly BertConfig config;
    private readonly IReadOnlyDictionary<string, Tensor> parameters;
    private readonly string prefix;
    private readonly HashSet<string> used = new(StringComparer.Ordinal);
    private readonly List<string> hiddenStates = [];
    private string? pooled;
    private string? maskFloat;

    private BertOnnxGraph(OnnxGraphBuilder g, BertConfig config, IReadOnlyDictionary<string, Tensor> parameters, string prefix)
    {
        this.g = g;
        this.config = config;
        this.parameters = parameters;
        this.prefix = prefix;
    }

    /// <summary>The graph input of token ids, (batch, sequence) int64.</summary>
    public string InputIds { get; private set; } = "";

    /// <summary>The graph input of the 1/0 attention mask, (batch, sequence) int64.</summary>
    public string AttentionMask { get; private set; } = "";

    /// <summary>The last layer's output, (batch, sequence, H).</summary>
    public string SequenceOutput { get; private set; } = "";

    /// <summary>The embeddings output and every layer's output, in order (the last is <see cref="SequenceOutput"/>).</summary>
    public IReadOnlyList<string> HiddenStates => hiddenStates;

    /// <summary>
    /// Declares the inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c> (int64, dynamic <c>batch</c>
    /// and <c>sequence</c>) and emits the encoder; <paramref name="prefix"/> is the parameters' prefix (<c>bert.</c>
    /// inside a classifier, empty for a bare model).
    /// </summary>
    public static BertOnnxGraph Emit(OnnxGraphBuilder g, BertConfig config, IReadOnlyDictionary<string, Tensor> parameters, string prefix)
    {
        var graph = new BertOnnxGraph(g, config, parameters, prefix);
        graph.EmitEncoder();
        return graph;
    }

    /// <summary>
    /// Throws when a parameter of the module was not exported (a part of the model the exporter does not know), except
    /// those whose names start with <paramref name="ignoredPrefix"/> (a part the chosen outputs do not use).
    /// </summary>
    public void CheckAllUsed(string? ignoredPrefix = null)
    {
        var missed = parameters.Keys.Where(k => !used.Contains(k) && (ignoredPrefix is null || !k.StartsWith(ignoredPrefix, StringComparison.Ordinal))).ToList();
        if (missed.Count > 0)
            throw new NotSupportedException(
                $"The ONNX export does not cover {missed.Count} parameter(s) of the model: {string.Join(", ", missed.Take(5))}.");
    }

    /// <summary>tanh(dense(h[CLS])), (batch, H); emitted once, on first use.</summary>
    public string Pooler(string? output = null)
    {
        if (pooled is not null) return pooled;
        var first = Cls(SequenceOutput);
        var dense = Linear(first, $"{prefix}pooler.dense");
        pooled = g.Node("Tanh", [dense], output: output);
        return pooled;
    }

    /// <summary>h[:, 0, :] of a (batch, sequence, H) value: (batch, H).</summary>
    public string Cls(string sequence) =>
        g.Node("Gather", [sequence, g.Int64Constant([0])], [OnnxAttribute.Int("axis", 1)]);

    /// <summary>The attention mask as float, (batch, sequence, 1), shared by the pooling heads.</summary>
    public string MaskColumn()
    {
        maskFloat ??= Unsqueeze(g.Node("Cast", [AttentionMask], [OnnxAttribute.Int("to", OnnxGraphBuilder.Float)]), 2);
        return maskFloat;
    }

    /// <summary>The mean of a (batch, sequence, H) value over real tokens: sum(h * mask) / max(sum(mask), 1), (batch, H).</summary>
    public string MaskedMean(string sequence, string? output = null)
    {
        var mask = MaskColumn();
        var sum = Reduce("ReduceSum", g.Node("Mul", [sequence, mask]), 1, keepDims: false); // (B, T, H) -> (B, H)
        var count = Reduce("ReduceSum", mask, 1, keepDims: false);                           // (B, T, 1) -> (B, 1)
        return g.Node("Div", [sum, g.Node("Max", [count, g.FloatConstant(1f)])], output: output);
    }

    /// <summary>The element-wise maximum of a (batch, sequence, H) value over real tokens, (batch, H).</summary>
    public string MaskedMax(string sequence, string? output = null)
    {
        var padding = g.Node("Equal", [MaskColumn(), g.FloatConstant(0f)]);                   // (B, T, 1) bool
        var filled = g.Node("Where", [padding, g.FloatConstant(float.NegativeInfinity), sequence]);
        return Reduce("ReduceMax", filled, 1, keepDims: false, output);
    }

    /// <summary>x / max(||x||_2, 1e-12) along the last axis of (batch, H) (<c>torch.nn.functional.normalize</c>).</summary>
    public string L2Normalize(string x, string? output = null)
    {
        var norm = Reduce("ReduceL2", x, -1, keepDims: true);                                   // (B, H) -> (B, 1)
        return g.Node("Div", [x, g.Node("Max", [norm, g.FloatConstant(1e-12f)])], output: output);
    }

    /// <summary>x W^T + b with the Linear parameters <c>{name}.weight</c> (out, in) and <c>{name}.bias</c>.</summary>
    public string Linear(string x, string name, string? output = null)
    {
        var product = g.Node("MatMul", [x, Parameter($"{name}.weight", transpose: true)]);
        return g.Node("Add", [product, Parameter($"{name}.bias")], output: output);
    }

    /// <summary>A reduction over one axis, with <c>axes</c> as an input or an attribute as the opset requires.</summary>
    public string Reduce(string op, string x, long axis, bool keepDims, string? output = null)
    {
        bool axesInput = op == "ReduceSum" ? g.Opset >= 13 : g.Opset >= 18;
        var keep = OnnxAttribute.Int("keepdims", keepDims ? 1 : 0);
        return axesInput
            ? g.Node(op, [x, g.Int64Constant([axis], 1)], [keep], output)
            : g.Node(op, [x], [OnnxAttribute.Ints("axes", axis), keep], output);
    }

    /// <summary>Inserts a unit axis at <paramref name="axis"/> (axes as an attribute before opset 13, as an input from 13).</summary>
    private string Unsqueeze(string x, long axis) => g.Opset >= 13
        ? g.Node("Unsqueeze", [x, g.Int64Constant([axis], 1)])
        : g.Node("Unsqueeze", [x], [OnnxAttribute.Ints("axes", axis)]);

    private void EmitEncoder()
    {
        InputIds = g.Input("input_ids", OnnxGraphBuilder.Int64, "batch", "sequence");
        AttentionMask = g.Input("attention_mask", OnnxGraphBuilder.Int64, "batch", "sequence");
        var tokenTypeIds = g.Input("token_type_ids", OnnxGraphBuilder.Int64, "batch", "sequence");

        // Additive mask, built once: (B, T) -> (B, 1, 1, T), 0 for real keys and MaskValue for padding.
        var mask4 = Unsqueeze(Unsqueeze(AttentionMask, 1), 2);
        var keep = g.Node("Cast", [mask4], [OnnxAttribute.Int("to", OnnxGraphBuilder.Float)]);
        var additiveMask = g.Node("Mul", [g.Node("Sub", [g.FloatConstant(1f), keep]), g.FloatConstant(MaskValue)]);

        var hidden = Embeddings(tokenTypeIds);
        hiddenStates.Add(hidden);
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            hidden = Layer(hidden, additiveMask, $"{prefix}encoder.layer.{i.ToString(CultureInfo.InvariantCulture)}");
            hiddenStates.Add(hidden);
        }
        SequenceOutput = hidden;
    }

    private string Embeddings(string tokenTypeIds)
    {
        string p = $"{prefix}embeddings";
        var words = g.Node("Gather", [Parameter($"{p}.word_embeddings.weight"), InputIds]);              // (B, T, H)
        // Positions 0..T-1 as (B, T): cumsum(ones) - 1, elementwise from the input so that shape inference keeps the
        // symbolic (batch, sequence) shape (a Slice of a constant with a computed end loses it, and with it ORT's fusions).
        var ones = g.Node("Add", [g.Node("Mul", [InputIds, g.Int64Constant([0])]), g.Int64Constant([1])]);
        var positionIds = g.Node("Sub", [g.Node("CumSum", [ones, g.Int64Constant([1])]), g.Int64Constant([1])]);
        var positions = g.Node("Gather", [Parameter($"{p}.position_embeddings.weight"), positionIds]);    // (B, T, H)
        var types = g.Node("Gather", [Parameter($"{p}.token_type_embeddings.weight"), tokenTypeIds]);    // (B, T, H)
        var sum = g.Node("Add", [g.Node("Add", [words, positions]), types]);
        return LayerNorm(sum, $"{p}.LayerNorm");
    }

    private string Layer(string hidden, string additiveMask, string p)
    {
        int heads = config.NumAttentionHeads, headSize = config.HiddenSize / config.NumAttentionHeads;
        var splitShape = g.Int64Constant([0, 0, heads, headSize], 4);
        // (B, T, H) -> (B, T, nh, hs) -> (B, nh, T, hs); keys straight to (B, nh, hs, T).
        string Heads(string name, long[] perm) =>
            g.Node("Transpose", [g.Node("Reshape", [Linear(hidden, $"{p}.attention.self.{name}"), splitShape])], [OnnxAttribute.Ints("perm", perm)]);
        var q = Heads("query", [0, 2, 1, 3]);
        var k = Heads("key", [0, 2, 3, 1]);
        var v = Heads("value", [0, 2, 1, 3]);
        var scores = g.Node("Div", [g.Node("MatMul", [q, k]), g.FloatConstant(MathF.Sqrt(headSize))]);     // (B, nh, T, T)
        var probabilities = g.Node("Softmax", [g.Node("Add", [scores, additiveMask])], [OnnxAttribute.Int("axis", 3)]);
        var context = g.Node("Transpose", [g.Node("MatMul", [probabilities, v])], [OnnxAttribute.Ints("perm", 0, 2, 1, 3)]); // (B, T, nh, hs)
        var merged = g.Node("Reshape", [context, g.Int64Constant([0, 0, config.HiddenSize], 3)]);          // (B, T, H)
        var attended = LayerNorm(g.Node("Add", [Linear(merged, $"{p}.attention.output.dense"), hidden]), $"{p}.attention.output.LayerNorm");

        var intermediate = Activation(Linear(attended, $"{p}.intermediate.dense"));                       // (B, T, I)
        return LayerNorm(g.Node("Add", [Linear(intermediate, $"{p}.output.dense"), attended]), $"{p}.output.LayerNorm");
    }

    /// <summary>LayerNormalization (opset 17+), or its decomposition (mean, variance, sqrt) that ONNX Runtime fuses back.</summary>
    private string LayerNorm(string x, string name)
    {
        var weight = Parameter($"{name}.weight");
        var bias = Parameter($"{name}.bias");
        float epsilon = (float)config.LayerNormEps;
        if (g.Opset >= 17)
            return g.Node("LayerNormalization", [x, weight, bias], [OnnxAttribute.Int("axis", -1), OnnxAttribute.Float("epsilon", epsilon)]);
        var centered = g.Node("Sub", [x, Reduce("ReduceMean", x, -1, keepDims: true)]);
        var variance = Reduce("ReduceMean", g.Node("Pow", [centered, g.FloatConstant(2f)]), -1, keepDims: true);
        var normalized = g.Node("Div", [centered, g.Node("Sqrt", [g.Node("Add", [variance, g.FloatConstant(epsilon)])])]);
        return g.Node("Add", [g.Node("Mul", [normalized, weight]), bias]);
    }

    /// <summary>hidden_act: exact GELU with Erf, the tanh approximation, or ReLU.</summary>
    private string Activation(string x)
    {
        switch (config.HiddenAct)
        {
            case "gelu": // x * 0.5 * (1 + erf(x / sqrt(2)))
            {
                var erf = g.Node("Erf", [g.Node("Div", [x, g.FloatConstant(MathF.Sqrt(2f))])]);
                return g.Node("Mul", [g.Node("Mul", [x, g.Node("Add", [erf, g.FloatConstant(1f)])]), g.FloatConstant(0.5f)]);
            }
            case "gelu_new" or "gelu_pytorch_tanh": // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            {
                var cube = g.Node("Pow", [x, g.FloatConstant(3f)]);
                var inner = g.Node("Mul", [g.Node("Add", [x, g.Node("Mul", [cube, g.FloatConstant(0.044715f)])]), g.FloatConstant((float)Math.Sqrt(2.0 / Math.PI))]);
                var half = g.Node("Mul", [x, g.FloatConstant(0.5f)]);
                return g.Node("Mul", [half, g.Node("Add", [g.Node("Tanh", [inner]), g.FloatConstant(1f)])]);
            }
            case "relu":
                return g.Node("Relu", [x]);
            default:
                throw new NotSupportedException($"hidden_act '{config.HiddenAct}' has no ONNX export.");
        }
    }

    private string Parameter(string name, bool transpose = false)
    {
        if (!parameters.TryGetValue(name, out var tensor))
            throw new InvalidOperationException($"The model has no parameter '{name}' to export (its parameters do not follow BertModel's names).");
        used.Add(name);
        return g.Weight(name, tensor, transpose);
    }
}
