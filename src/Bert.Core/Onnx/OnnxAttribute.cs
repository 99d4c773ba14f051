using Bert.Core.IO;

namespace Bert.Core.Onnx;

/// <summary>One ONNX node attribute (<c>AttributeProto</c>): an int, a float or a list of ints.</summary>
internal sealed class OnnxAttribute
{
    private const int FloatType = 1, IntType = 2, IntsType = 7; // AttributeProto.AttributeType

    private readonly int type;
    private readonly long[] ints;
    private readonly float number;

    private OnnxAttribute(string name, int type, long[] ints, float number)
    {
        Name = name;
        this.type = type;
        this.ints = ints;
        this.number = number;
    }

    /// <summary>The attribute's name (<c>axis</c>, <c>perm</c>, <c>epsilon</c>, ...).</summary>
    public string Name { get; }

    /// <summary>An integer attribute.</summary>
    public static OnnxAttribute Int(string name, long value) => new(name, IntType, [value], 0);

    /// <summary>A float attribute.</summary>
    public static OnnxAttribute Float(string name, float value) => new(name, FloatType, [], value);

    /// <summary>A list-of-integers attribute.</summary>
    public static OnnxAttribute Ints(string name, params long[] values) => new(name, IntsType, values, 0);

    /// <summary>Serializes as <c>AttributeProto</c>: name (1), f (2), i (3), ints (8), type (20).</summary>
    public ProtoWireWriter ToProto()
    {
        var proto = new ProtoWireWriter().String(1, Name);
        switch (type)
        {
            case FloatType: proto.Float(2, number); break;
            case IntType: proto.Varint(3, (ulong)ints[0]); break;
            default: proto.PackedVarints(8, ints); break;
        }
        return proto.Varint(20, (ulong)type);
    }
}
