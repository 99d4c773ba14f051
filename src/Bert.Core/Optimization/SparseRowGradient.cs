using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Bert.Core.Optimization;

/// <summary>
/// A sparse (COO) gradient of a (rows, rowLength) float32 parameter whose non-zero entries are whole rows (the word
/// embeddings' with <see cref="Modeling.BertEmbeddings.SparseWordGradients"/>), summed per row. Each row's entries are
/// added in the order the tensor lists them, starting from +0: the order of libtorch's dense embedding backward
/// (<c>embedding_dense_backward_cpu</c> adds each token's row into a zero table in input order), so the sums have the
/// bits of the dense gradient's rows. Its arrays are rented from the shared pool until <see cref="Dispose"/>.
/// </summary>
internal sealed class SparseRowGradient : IDisposable
{
    private long[] _rows;
    private float[] _values;

    private SparseRowGradient(long[] rows, float[] values, int count, int rowLength)
    {
        _rows = rows;
        _values = values;
        Count = count;
        RowLength = rowLength;
    }

    /// <summary>The number of distinct rows with a gradient.</summary>
    public int Count { get; }

    /// <summary>The elements per row (the parameter's second dimension).</summary>
    public int RowLength { get; }

    /// <summary>The rows with a gradient, ascending.</summary>
    public ReadOnlySpan<long> Rows => _rows.AsSpan(0, Count);

    /// <summary>The summed gradient of <see cref="Rows"/>, row after row.</summary>
    public ReadOnlySpan<float> Values => _values.AsSpan(0, Count * RowLength);

    /// <summary>
    /// Sums <paramref name="grad"/>'s entries per row when it is a sparse COO gradient of the 2-D
    /// <paramref name="parameter"/> with one sparse dimension (the rows) and float32 CPU values; null for any other
    /// layout, which the caller makes dense instead.
    /// </summary>
    /// <exception cref="InvalidOperationException">A row index is outside the parameter.</exception>
    public static SparseRowGradient? TryCreate(Tensor grad, Tensor parameter, string label)
    {
        if (!grad.is_sparse || parameter.dim() != 2 || grad.dtype != ScalarType.Float32 || grad.device_type != DeviceType.CPU)
            return null;
        using var scope = NewDisposeScope();
        var indices = grad.SparseIndices;                 // (1, nnz) for a row-sparse gradient
        var entries = grad.SparseValues;                  // (nnz, rowLength)
        var rowLength = parameter.shape[1];
        if (indices.dim() != 2 || indices.shape[0] != 1 || entries.dim() != 2 || entries.shape[1] != rowLength
            || rowLength > int.MaxValue || indices.shape[1] * rowLength > Array.MaxLength)
            return null;
        var nnz = (int)indices.shape[1];
        var width = (int)rowLength;
        var rowIndex = indices.to_type(ScalarType.Int64).contiguous().data<long>().ToArray();
        var source = MemoryMarshal.Cast<byte, float>(entries.contiguous().bytes);

        var rowCount = parameter.shape[0];
        var keys = ArrayPool<long>.Shared.Rent(nnz);
        var order = ArrayPool<int>.Shared.Rent(nnz);
        try
        {
            for (var k = 0; k < nnz; k++)
            {
                if ((ulong)rowIndex[k] >= (ulong)rowCount)
                    throw new InvalidOperationException(
                        $"Parameter{label} has {rowCount} rows, but its sparse gradient names row {rowIndex[k]}.");
                keys[k] = rowIndex[k] * nnz + k;          // by row, then by position: a stable order
                order[k] = k;
            }
            Array.Sort(keys, order, 0, nnz);

            var rows = ArrayPool<long>.Shared.Rent(Math.Max(nnz, 1));
            var values = ArrayPool<float>.Shared.Rent(Math.Max(nnz * width, 1));
            var count = 0;
            for (var s = 0; s < nnz; s++)
            {
                var k = order[s];
                var entry = source.Slice(k * width, width);
                if (count > 0 && rows[count - 1] == rowIndex[k])
                {
                    Add(values.AsSpan((count - 1) * width, width), entry);
                    continue;
                }
                rows[count] = rowIndex[k];
                var target = values.AsSpan(count * width, width);
                target.Clear();
                Add(target, entry);                       // 0 + x, as the dense table's first addition
                count++;
            }
            return new SparseRowGradient(rows, values, count, width);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(order);
        }
    }

    /// <summary>
    /// Copies the gradient of the parameter's flat elements <c>[first, first + block.Length)</c> into
    /// <paramref name="block"/> (zeros where no row has one) and returns true, or returns false without writing when no
    /// row with a gradient overlaps them. <paramref name="cursor"/> starts at 0 and carries the search from one call to
    /// the next when the blocks come in ascending order.
    /// </summary>
    public bool Gather(long first, Span<float> block, ref int cursor)
    {
        var rows = Rows;
        var last = first + block.Length - 1;
        if (cursor > 0 && (rows[cursor - 1] + 1) * RowLength > first)
            cursor = 0;                                   // not ascending: search again
        if (cursor == 0)
        {
            var found = rows.BinarySearch(first / RowLength);
            cursor = found >= 0 ? found : ~found;         // the first row at or after the one holding element first
        }
        while (cursor < rows.Length && (rows[cursor] + 1) * RowLength <= first)
            cursor++;
        if (cursor >= rows.Length || rows[cursor] * RowLength > last)
            return false;
        block.Clear();
        for (var j = cursor; j < rows.Length && rows[j] * RowLength <= last; j++)
        {
            var rowStart = rows[j] * RowLength;
            var from = Math.Max(rowStart, first);
            var to = Math.Min(rowStart + RowLength, last + 1);
            Values.Slice((int)((long)j * RowLength + (from - rowStart)), (int)(to - from)).CopyTo(block[(int)(from - first)..]);
        }
        return true;
    }

    /// <summary>Returns the arrays to the pool.</summary>
    public void Dispose()
    {
        if (_rows.Length == 0) return;
        ArrayPool<long>.Shared.Return(_rows);
        ArrayPool<float>.Shared.Return(_values);
        _rows = [];
        _values = [];
    }

    private static void Add(Span<float> target, ReadOnlySpan<float> source)
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= target.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(target[i..]) + new Vector<float>(source[i..])).CopyTo(target[i..]);
        }
        for (; i < target.Length; i++)
            target[i] += source[i];
    }
}
