namespace Bert.Core.IO;

/// <summary>
/// An exclusive, advisory lock on a folder that a run or a save writes: the hidden file <c>.bert_net.lock</c> (left in
/// place, empty, after release; <c>.bert_net.lock.owner</c> describes the holder while it runs) held open
/// with <see cref="FileShare.None"/> (an <c>flock</c> on Unix, released by the kernel when the process dies, so a
/// killed run never leaves a stale lock). A second holder fails fast with a message naming the first: another
/// process through the <c>flock</c>, another thread or caller of this process through a registry of the folders this
/// process holds (an <c>flock</c> alone does not exclude them), so a run that holds a folder cannot save into it either.
/// </summary>
internal sealed class FolderLock : IDisposable
{
    internal const string LockName = ".bert_net.lock";
    internal const string OwnerName = Bert.Tokenization.SaveSnapshot.LockOwnerName; // loaders wait while it is there
    private static readonly Dictionary<string, (FileStream Stream, string Owner)> Held = new(StringComparer.Ordinal);
    private readonly string directory;
    private bool disposed;

    private FolderLock(string directory) => this.directory = directory;

    /// <summary>Takes the lock on <paramref name="directory"/> (created when missing).</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="purpose">What the holder does, shown to a second process (e.g. "training", "saving a classifier").</param>
    /// <exception cref="IOException">Another process, or another holder in this process, holds the lock; the message names it.</exception>
    public static FolderLock Acquire(string directory, string purpose)
    {
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        lock (Held)
        {
            if (Held.TryGetValue(full, out var held))
                throw new IOException($"'{full}' is in use by {held.Owner} (in this process); wait for it to finish or use another folder.");
            FileSystemGuard.CreateDirectory(full);
            string path = Path.Combine(full, LockName);
            FileSystemGuard.EnsureRegularOrAbsent(path);
            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex)
            {
                string owner = "another process";
                try
                {
                    owner = File.ReadAllText(Path.Combine(full, OwnerName)).Trim();
                }
                catch (IOException)
                {
                    // The holder's description is a courtesy.
                }
                throw new IOException($"'{full}' is in use by {owner}; wait for it to finish or use another folder.", ex);
            }
            string description = $"process {Environment.ProcessId} ({Environment.ProcessPath ?? "dotnet"}), {purpose}, since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC";
            try
            {
                string ownerPath = Path.Combine(full, OwnerName);
                FileSystemGuard.EnsureRegularOrAbsent(ownerPath);
                File.WriteAllText(ownerPath, description + "\n");
            }
            catch
            {
                stream.Dispose();
                throw;
            }
            Held[full] = (stream, description);
            return new FolderLock(full);
        }
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        lock (Held)
        {
            var (stream, _) = Held[directory];
            Held.Remove(directory);
            try
            {
                File.Delete(Path.Combine(directory, OwnerName));
            }
            catch (IOException)
            {
                // The description of a holder that has gone is harmless.
            }
            // The lock file itself stays: deleting it would let two processes lock two different files of one name.
            stream.Dispose();
        }
    }
}
