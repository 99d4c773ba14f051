using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Bert.Tokenization.MeCab;

/// <summary>
/// <c>matrix.bin</c>: two 16-bit sizes (left, right) then the 16-bit connection costs; the cost of a left node
/// followed by a right node is at <c>left.RightId + leftSize * right.LeftId</c>, as MeCab's <c>Connector::cost</c>.
/// Immutable.
/// </summary>
internal sealed class ConnectionMatrix
{
    private readonly short[] costs;

    private ConnectionMatrix(int leftSize, int rightSize, short[] costs)
    {
        LeftSize = leftSize;
        RightSize = rightSize;
        this.costs = costs;
    }

    public int LeftSize { get; }

    public int RightSize { get; }

    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Its size does not match its header.</exception>
    public static ConnectionMatrix Load(string path)
    {
        var data = MeCabFile.ReadAll(path);
        if (data.Length < 4)
            throw new InvalidDataException($"MeCab connection matrix '{path}' is truncated: {data.Length} bytes.");
        int left = BinaryPrimitives.ReadUInt16LittleEndian(data);
        int right = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(2));
        var expected = 2L * (2 + ((long)left * right));
        if (data.Length != expected)
            throw new InvalidDataException($"MeCab connection matrix '{path}' is truncated or corrupt: {left} x {right} costs need {expected} bytes, the file has {data.Length}.");
        return new ConnectionMatrix(left, right, MemoryMarshal.Cast<byte, short>(data.AsSpan(4)).ToArray());
    }

    /// <summary>The connection cost; the ids were checked against the sizes when the dictionary was loaded.</summary>
    public int Cost(int leftRightId, int rightLeftId) => costs[leftRightId + (LeftSize * rightLeftId)];
}
