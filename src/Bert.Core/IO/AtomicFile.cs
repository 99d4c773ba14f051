namespace Bert.Core.IO;

/// <summary>
/// Writes a file so that a failure or a killed process never leaves half a file: the content goes to a temporary
/// file in the same folder, is flushed to disk, and then renamed over the target (an atomic replace on one file system).
/// Only a regular file (or nothing) is replaced: a device such as <c>/dev/null</c>, a pipe or a symbolic link is refused
/// with an <see cref="IOException"/>. A set of files that belong together is written with one save transaction instead.
/// </summary>
public static class AtomicFile
{
    /// <summary>Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream.</summary>
    /// <param name="path">The file to create or replace (its folder is created when missing).</param>
    /// <param name="write">Writes the content.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty or an existing directory.</exception>
    /// <exception cref="IOException"><paramref name="path"/> exists and is not a regular file.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ArgumentException($"'{full}' is a directory; expected a file path to write.", nameof(path));
        FileSystemGuard.EnsureRegularOrAbsent(full); // never rename over a device, pipe, socket or link
        string directory = Path.GetDirectoryName(full) ?? ".";
        FileSystemGuard.CreateDirectory(directory);
        string temp = Path.Combine(directory, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
            FileSystemGuard.FsyncDirectory(directory);
        }
        finally
        {
            try
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            catch (IOException)
            {
                // The failure being reported matters more than a leftover temporary file.
            }
        }
    }

    /// <summary>Creates or replaces <paramref name="path"/> with <paramref name="text"/> as UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(path, stream => stream.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));
    }
}
