namespace Bert.Core.IO;

/// <summary>
/// Replaces a folder by a fully written new one so that an interruption at any moment leaves a complete folder
/// behind. Linux cannot rename a folder over a non-empty one, so the swap is two renames: the previous folder
/// becomes <c>NAME.old</c>, the new one (written as <c>NAME.tmp-PID</c>) becomes <c>NAME</c>, then <c>NAME.old</c>
/// is deleted. <see cref="Resolve"/> finds <c>NAME.old</c> when a crash fell between the two renames.
/// </summary>
public static class AtomicDirectory
{
    /// <summary>Writes a new version of <paramref name="directory"/> with <paramref name="write"/> (given the temporary folder), then swaps it in.</summary>
    /// <param name="directory">The folder to create or replace.</param>
    /// <param name="write">Fills the temporary folder whose path it is given.</param>
    public static void Replace(string directory, Action<string> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string temp = full + ".tmp-" + Environment.ProcessId;
        string old = full + ".old";
        if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        Directory.CreateDirectory(temp);
        try
        {
            write(temp);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
        if (Directory.Exists(full))
        {
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
            Directory.Move(full, old);
        }
        Directory.Move(temp, full);
        TryDelete(old);
    }

    /// <summary>
    /// The folder to read: <paramref name="directory"/> itself, or its <c>.old</c> copy when a save was interrupted
    /// between its two renames; null when neither exists.
    /// </summary>
    /// <param name="directory">The folder that was written with <see cref="Replace"/>.</param>
    public static string? Resolve(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        if (Directory.Exists(full)) return full;
        return Directory.Exists(full + ".old") ? full + ".old" : null;
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover .old or .tmp folder is harmless: the next save replaces it.
        }
    }
}
