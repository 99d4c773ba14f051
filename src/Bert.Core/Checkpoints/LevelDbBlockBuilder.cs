namespace Bert.Core.Checkpoints;

/// <summary>
/// Builds one LevelDB block as TensorFlow's <c>core/lib/io/block_builder.cc</c> does: entries
/// <c>(shared, non_shared, value_length varints, key suffix, value)</c> with the key prefix shared with the previous
/// key, a full key every <c>restartInterval</c> entries, then the restart offsets and their count (fixed32).
/// </summary>
internal sealed class LevelDbBlockBuilder
{
    private readonly int _restartInterval;
    private readonly MemoryStream _buffer = new();
    private readonly List<uint> _restarts = [0];
    private byte[] _lastKey = [];
    private int _counter;

    /// <summary>A builder with a restart point every <paramref name="restartInterval"/> keys.</summary>
    public LevelDbBlockBuilder(int restartInterval) => _restartInterval = restartInterval;

    /// <summary>True when no entry was added since the last reset.</summary>
    public bool IsEmpty => _buffer.Length == 0;

    /// <summary>The block size if finished now (TensorFlow's CurrentSizeEstimate).</summary>
    public long CurrentSizeEstimate => _buffer.Length + _restarts.Count * 4L + 4;

    /// <summary>Appends an entry; keys must increase.</summary>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        int shared = 0;
        if (_counter < _restartInterval)
        {
            int max = Math.Min(_lastKey.Length, key.Length);
            while (shared < max && _lastKey[shared] == key[shared]) shared++;
        }
        else
        {
            _restarts.Add((uint)_buffer.Length);
            _counter = 0;
        }
        LevelDbCoding.WriteVarint(_buffer, (ulong)shared);
        LevelDbCoding.WriteVarint(_buffer, (ulong)(key.Length - shared));
        LevelDbCoding.WriteVarint(_buffer, (ulong)value.Length);
        _buffer.Write(key[shared..]);
        _buffer.Write(value);
        _lastKey = key.ToArray();
        _counter++;
    }

    /// <summary>The finished block contents (entries, restart array, restart count).</summary>
    public byte[] Finish()
    {
        foreach (var r in _restarts) LevelDbCoding.WriteFixed32(_buffer, r);
        LevelDbCoding.WriteFixed32(_buffer, (uint)_restarts.Count);
        return _buffer.ToArray();
    }

    /// <summary>Empties the builder for the next block.</summary>
    public void Reset()
    {
        _buffer.SetLength(0);
        _restarts.Clear();
        _restarts.Add(0);
        _counter = 0;
        _lastKey = [];
    }
}
