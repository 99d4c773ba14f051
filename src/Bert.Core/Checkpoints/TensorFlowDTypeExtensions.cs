using TorchSharp;

namespace Bert.Core.Checkpoints;

/// <summary>Element sizes of TensorFlow dtypes and their TorchSharp counterparts.</summary>
internal static class TensorFlowDTypeExtensions
{
    /// <summary>Bytes per element for fixed-width types; 0 for variable-length or unknown types.</summary>
    public static int ElementSize(this TensorFlowDType dtype) => dtype switch
    {
        TensorFlowDType.Float32 or TensorFlowDType.Int32 or TensorFlowDType.QInt32 or TensorFlowDType.UInt32 => 4,
        TensorFlowDType.Float64 or TensorFlowDType.Int64 or TensorFlowDType.Complex64 or TensorFlowDType.UInt64 => 8,
        TensorFlowDType.UInt8 or TensorFlowDType.Int8 or TensorFlowDType.Bool or TensorFlowDType.QInt8 or TensorFlowDType.QUInt8 => 1,
        TensorFlowDType.Int16 or TensorFlowDType.BFloat16 or TensorFlowDType.QInt16 or TensorFlowDType.QUInt16
            or TensorFlowDType.UInt16 or TensorFlowDType.Float16 => 2,
        TensorFlowDType.Complex128 => 16,
        _ => 0,
    };

    /// <summary>The TorchSharp scalar type <see cref="TensorFlowCheckpointReader.ReadTensor"/> produces, or null.</summary>
    public static torch.ScalarType? ToScalarType(this TensorFlowDType dtype) => dtype switch
    {
        TensorFlowDType.Float32 => torch.ScalarType.Float32,
        TensorFlowDType.Float16 => torch.ScalarType.Float16,
        TensorFlowDType.BFloat16 => torch.ScalarType.BFloat16,
        TensorFlowDType.Float64 => torch.ScalarType.Float64,
        TensorFlowDType.Int32 => torch.ScalarType.Int32,
        TensorFlowDType.Int64 => torch.ScalarType.Int64,
        TensorFlowDType.Int16 => torch.ScalarType.Int16,
        TensorFlowDType.Int8 => torch.ScalarType.Int8,
        TensorFlowDType.UInt8 => torch.ScalarType.Byte,
        TensorFlowDType.Bool => torch.ScalarType.Bool,
        _ => null,
    };

    /// <summary>The TensorFlow dtype for a TorchSharp scalar type, or null when TensorFlow has none the writer supports.</summary>
    public static TensorFlowDType? FromScalarType(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float32 => TensorFlowDType.Float32,
        torch.ScalarType.Float16 => TensorFlowDType.Float16,
        torch.ScalarType.BFloat16 => TensorFlowDType.BFloat16,
        torch.ScalarType.Float64 => TensorFlowDType.Float64,
        torch.ScalarType.Int32 => TensorFlowDType.Int32,
        torch.ScalarType.Int64 => TensorFlowDType.Int64,
        torch.ScalarType.Int16 => TensorFlowDType.Int16,
        torch.ScalarType.Int8 => TensorFlowDType.Int8,
        torch.ScalarType.Byte => TensorFlowDType.UInt8,
        torch.ScalarType.Bool => TensorFlowDType.Bool,
        _ => null,
    };
}
