using System.Globalization;
using System.Runtime.InteropServices;
using Bert.Core.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Onnx;

/// <summary>
/// Collects the nodes, initializers, inputs and outputs of one ONNX graph and writes the <c>ModelProto</c>
/// (<c>onnx.proto</c> field numbers; only the fields an inference graph needs). Node outputs get generated names
/// unless the caller names them (graph outputs).
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary><c>TensorProto.DataType</c> values used here.</summary>
    public const int Float = 1, Int64 = 7;

    private readonly ProtoWireWriter nodes = new();
    private readonly ProtoWireWriter initializers = new();
    private readonly ProtoWireWriter inputs = new();
    private readonly ProtoWireWriter outputs = new();
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private int counter;

    /// <summary>Creates an empty graph for the default ONNX domain at <paramref name="opset"/>.</summary>
    public OnnxGraphBuilder(int opset) => Opset = opset;

    /// <summary>The opset the nodes are written for.</summary>
    public int Opset { get; }

    /// <summary>The number of nodes added so far.</summary>
    public int NodeCount { get; private set; }

    /// <summary>Bytes of initializer data so far (the model must stay under protobuf's 2 GB).</summary>
    public long InitializerBytes => initializers.Length;

    /// <summary>Declares a graph input of element type <paramref name="elemType"/>; a dimension is a size (long) or a symbolic name (string).</summary>
    public string Input(string name, int elemType, params object[] dims)
    {
        Claim(name);
        inputs.Message(11, ValueInfo(name, elemType, dims));
        return name;
    }

    /// <summary>Declares <paramref name="name"/>, already produced by a node, as a graph output.</summary>
    public void Output(string name, int elemType, params object[] dims) => outputs.Message(12, ValueInfo(name, elemType, dims));

    /// <summary>Adds a float32 initializer with the values of <paramref name="tensor"/> (converted to float32 on the CPU).</summary>
    /// <param name="name">The initializer's name.</param>
    /// <param name="tensor">The values.</param>
    /// <param name="transpose">Store the 2-D tensor transposed: a Linear weight (out, in) becomes MatMul's (in, out).</param>
    public string Weight(string name, Tensor tensor, bool transpose = false)
    {
        using var scope = NewDisposeScope();
        var value = tensor.detach().to(ScalarType.Float32).cpu();
        if (transpose) value = value.t();
        value = value.contiguous();
        var data = value.data<float>().ToArray();
        return AddInitializer(name, Float, value.shape, MemoryMarshal.AsBytes(data.AsSpan()));
    }

    /// <summary>An int64 constant (initializer) of shape <paramref name="dims"/> (empty: a scalar).</summary>
    public string Int64Constant(long[] values, params long[] dims) =>
        AddInitializer(Fresh("const"), Int64, dims, MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>A float32 scalar constant.</summary>
    public string FloatConstant(float value) =>
        AddInitializer(Fresh("const"), Float, [], MemoryMarshal.AsBytes(new[] { value }.AsSpan()));

    /// <summary>Adds a node of the default domain and returns the name of its (first) output.</summary>
    /// <param name="opType">The operator (<c>MatMul</c>, <c>LayerNormalization</c>, ...).</param>
    /// <param name="nodeInputs">Input value names in the operator's order.</param>
    /// <param name="attributes">Attributes, or null.</param>
    /// <param name="output">The output's name (for graph outputs); null generates one.</param>
    public string Node(string opType, string[] nodeInputs, OnnxAttribute[]? attributes = null, string? output = null)
    {
        output ??= Fresh(opType);
        Claim(output);
        var node = new ProtoWireWriter();
        foreach (var input in nodeInputs) node.String(1, input);
        node.String(2, output).String(3, $"{opType}_{NodeCount++}").String(4, opType);
        foreach (var attribute in attributes ?? []) node.Message(5, attribute.ToProto());
        nodes.Message(1, node);
        return output;
    }

    /// <summary>
    /// Writes the <c>ModelProto</c>: ir_version (1), producer_name (2), producer_version (3), graph (7), opset_import (8).
    /// The graph's parts are streamed out without another copy of the weights.
    /// </summary>
    public void Save(Stream output, string graphName, string producerVersion, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (initializers.Length > int.MaxValue - (64L << 20))
            throw new InvalidOperationException(
                $"The weights take {initializers.Length >> 20} MB; a single ONNX file must stay under 2 GB (protobuf's limit) and external data is not supported.");
        var header = new ProtoWireWriter()
            .Varint(1, (ulong)IrVersion(Opset))
            .String(2, "Bert.NET")
            .String(3, producerVersion)
            .Message(8, new ProtoWireWriter().String(1, "").Varint(2, (ulong)Opset));
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            header.Message(14, new ProtoWireWriter().String(1, key).String(2, value));    // ModelProto.metadata_props
        header.WriteTo(output);
        var graph = new ProtoWireWriter().String(2, graphName);
        ProtoWireWriter.WriteField(output, 7, nodes, graph, initializers, inputs, outputs);
    }

    /// <summary>The IR version that goes with an opset (onnx/helper.py's VERSION_TABLE): 7 for opsets 12-14, 8 for 15-18.</summary>
    private static int IrVersion(int opset) => opset switch
    {
        >= 19 => 9,
        >= 15 => 8,
        _ => 7,
    };

    private string AddInitializer(string name, int dataType, ReadOnlySpan<long> dims, ReadOnlySpan<byte> raw)
    {
        Claim(name);
        var tensor = new ProtoWireWriter();
        if (dims.Length > 0) tensor.PackedVarints(1, dims.ToArray());
        tensor.Varint(2, (ulong)dataType).String(8, name).Bytes(9, raw); // raw_data: little-endian, as ONNX specifies
        initializers.Message(5, tensor);
        return name;
    }

    private static ProtoWireWriter ValueInfo(string name, int elemType, object[] dims)
    {
        var shape = new ProtoWireWriter();
        foreach (var dim in dims)
        {
            var d = dim switch
            {
                string symbol => new ProtoWireWriter().String(2, symbol),
                long size => new ProtoWireWriter().Varint(1, (ulong)size),
                int size => new ProtoWireWriter().Varint(1, (ulong)size),
                _ => throw new ArgumentException($"A dimension of '{name}' is neither a size nor a name: {dim}.", nameof(dims)),
            };
            shape.Message(1, d);
        }
        var tensorType = new ProtoWireWriter().Varint(1, (ulong)elemType).Message(2, shape);
        return new ProtoWireWriter().String(1, name).Message(2, new ProtoWireWriter().Message(1, tensorType));
    }

    private string Fresh(string hint)
    {
        string name;
        do name = string.Create(CultureInfo.InvariantCulture, $"{hint}_{counter++}");
        while (names.Contains(name));
        return name;
    }

    private void Claim(string name)
    {
        if (!names.Add(name))
            throw new InvalidOperationException($"The ONNX graph already has a value named '{name}'.");
    }
}
