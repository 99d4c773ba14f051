using Microsoft.Win32.SafeHandles;

namespace Bert.Tokenization;

/// <summary>
/// A read-only, seekable view of a file that a <see cref="SaveSnapshot"/> holds open: reads go to that open file (by
/// offset, so several views of one file never disturb each other) whatever has been renamed over its name since.
/// Disposing the view leaves the file open; the snapshot closes it.
/// </summary>
internal sealed class SnapshotFileStream : Stream
{
    private readonly SafeFileHandle handle;
    private readonly long length;
    private long position;

    public SnapshotFileStream(SafeFileHandle handle, long length)
    {
        this.handle = handle;
        this.length = length;
    }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            position = value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (position >= length || buffer.Length == 0) return 0;
        if (buffer.Length > length - position) buffer = buffer[..(int)(length - position)];
        int read = RandomAccess.Read(handle, buffer, position);
        position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => position + offset,
            SeekOrigin.End => length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
