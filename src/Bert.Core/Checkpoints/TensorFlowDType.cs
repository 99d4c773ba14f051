namespace Bert.Core.Checkpoints;

/// <summary>
/// TensorFlow's <c>DataType</c> enum (<c>tensorflow/core/framework/types.proto</c>); the numbers are the ones stored in
/// checkpoints. <see cref="TensorFlowCheckpointReader"/> reads the fixed-width numeric types; the others are recognised
/// and reported as unsupported when read.
/// </summary>
public enum TensorFlowDType
{
    /// <summary>DT_INVALID (0): never valid in a checkpoint entry.</summary>
    Invalid = 0,
    /// <summary>DT_FLOAT (1): 32-bit IEEE float.</summary>
    Float32 = 1,
    /// <summary>DT_DOUBLE (2): 64-bit IEEE float.</summary>
    Float64 = 2,
    /// <summary>DT_INT32 (3).</summary>
    Int32 = 3,
    /// <summary>DT_UINT8 (4).</summary>
    UInt8 = 4,
    /// <summary>DT_INT16 (5).</summary>
    Int16 = 5,
    /// <summary>DT_INT8 (6).</summary>
    Int8 = 6,
    /// <summary>DT_STRING (7): variable-length strings (not supported).</summary>
    String = 7,
    /// <summary>DT_COMPLEX64 (8).</summary>
    Complex64 = 8,
    /// <summary>DT_INT64 (9).</summary>
    Int64 = 9,
    /// <summary>DT_BOOL (10): one byte per element.</summary>
    Bool = 10,
    /// <summary>DT_QINT8 (11).</summary>
    QInt8 = 11,
    /// <summary>DT_QUINT8 (12).</summary>
    QUInt8 = 12,
    /// <summary>DT_QINT32 (13).</summary>
    QInt32 = 13,
    /// <summary>DT_BFLOAT16 (14): the upper 16 bits of a float32.</summary>
    BFloat16 = 14,
    /// <summary>DT_QINT16 (15).</summary>
    QInt16 = 15,
    /// <summary>DT_QUINT16 (16).</summary>
    QUInt16 = 16,
    /// <summary>DT_UINT16 (17).</summary>
    UInt16 = 17,
    /// <summary>DT_COMPLEX128 (18).</summary>
    Complex128 = 18,
    /// <summary>DT_HALF (19): IEEE float16.</summary>
    Float16 = 19,
    /// <summary>DT_RESOURCE (20): not supported.</summary>
    Resource = 20,
    /// <summary>DT_VARIANT (21): not supported.</summary>
    Variant = 21,
    /// <summary>DT_UINT32 (22).</summary>
    UInt32 = 22,
    /// <summary>DT_UINT64 (23).</summary>
    UInt64 = 23,
}
