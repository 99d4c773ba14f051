using System.Text;

namespace Bert.Core.Tests.Modeling;

/// <summary>
/// A minimal reader of the parts of an ONNX ModelProto the MiniLM parity test needs (protobuf wire format by hand):
/// graph initializers (name, dims, float32 raw data) and nodes (op type, inputs, outputs).
/// </summary>
internal sealed class OnnxInitializers
{
    public sealed record Initializer(string Name, long[] Dims, int DataType, float[]? Floats);

    public sealed record Node(string OpType, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs);

    public Dictionary<string, Initializer> Initializers { get; } = new(StringComparer.Ordinal);

    public List<Node> Nodes { get; } = [];

    public static OnnxInitializers Parse(byte[] model)
    {
        var result = new OnnxInitializers();
        foreach (var (field, _, start, length) in Fields(model, 0, model.Length))
        {
            if (field != 7) continue; // ModelProto.graph
            foreach (var (gField, _, gStart, gLength) in Fields(model, start, length))
            {
                if (gField == 5) result.AddInitializer(model, gStart, gLength);      // GraphProto.initializer
                else if (gField == 1) result.AddNode(model, gStart, gLength);        // GraphProto.node
            }
        }
        return result;
    }

    private void AddInitializer(byte[] b, int start, int length)
    {
        var dims = new List<long>();
        string name = "";
        int dataType = 0;
        float[]? floats = null;
        foreach (var (field, wire, s, l) in Fields(b, start, length))
        {
            switch (field)
            {
                case 1 when wire == 0: dims.Add(l); break; // unpacked dims carry the value in "length"
                case 1: for (int i = s; i < s + l;) dims.Add((long)Varint(b, ref i)); break;
                case 2: dataType = l; break;
                case 8: name = Encoding.UTF8.GetString(b, s, l); break;
                case 9 when dataType is 1 or 0: floats = new float[l / 4]; Buffer.BlockCopy(b, s, floats, 0, l); break;
                case 4: floats = new float[l / 4]; Buffer.BlockCopy(b, s, floats, 0, l); break;
            }
        }
        Initializers[name] = new Initializer(name, [.. dims], dataType, dataType == 1 ? floats : null);
    }

    private void AddNode(byte[] b, int start, int length)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        string op = "";
        foreach (var (field, _, s, l) in Fields(b, start, length))
        {
            if (field == 1) inputs.Add(Encoding.UTF8.GetString(b, s, l));
            else if (field == 2) outputs.Add(Encoding.UTF8.GetString(b, s, l));
            else if (field == 4) op = Encoding.UTF8.GetString(b, s, l);
        }
        Nodes.Add(new Node(op, inputs, outputs));
    }

    /// <summary>(field, wire type, start, length) of each field; for varints, length holds the value.</summary>
    private static IEnumerable<(int Field, int Wire, int Start, int Length)> Fields(byte[] b, int start, int length)
    {
        int i = start, end = start + length;
        while (i < end)
        {
            ulong key = Varint(b, ref i);
            int field = (int)(key >> 3), wire = (int)(key & 7);
            switch (wire)
            {
                case 0: { long v = (long)Varint(b, ref i); yield return (field, wire, i, (int)v); break; }
                case 1: yield return (field, wire, i, 8); i += 8; break;
                case 2: { int n = (int)Varint(b, ref i); yield return (field, wire, i, n); i += n; break; }
                case 5: yield return (field, wire, i, 4); i += 4; break;
                default: throw new InvalidDataException($"unsupported protobuf wire type {wire} at byte {i}");
            }
        }
    }

    private static ulong Varint(byte[] b, ref int i)
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte c = b[i++];
            result |= (ulong)(c & 0x7f) << shift;
            if (c < 0x80) return result;
        }
    }
}
