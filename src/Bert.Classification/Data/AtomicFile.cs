namespace Bert.Classification.Data;

/// <summary>Writes a file atomically: to a temporary file beside it, flushed to disk, then renamed over the target.</summary>
internal static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/>; the target is replaced only when the write succeeded.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ArgumentException($"'{full}' is a directory; expected a file path to write.", nameof(path));
        var directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }
}
