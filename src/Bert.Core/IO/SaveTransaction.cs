using Bert.Tokenization;

namespace Bert.Core.IO;

/// <summary>
/// The one way Bert.NET writes a set of files into a folder (a classifier, a Hugging Face model folder, a training
/// or pretraining checkpoint). It writes only the files it is given and never touches others: each goes to a hidden
/// temporary sibling (<c>.bert_net-TOKEN.NAME</c>), is flushed to disk, and is renamed over its target on
/// <see cref="Commit"/>. The commit point is a journal, <c>.bert_net_manifest.pending.json</c>, written before the
/// renames; the manifest <c>bert_net_manifest.json</c> (names, sizes, SHA-256) replaces it after them. So a process
/// killed at any moment leaves either the previous save (journal not yet written: the temporaries are ignored and
/// cleaned by the next save) or the new one (journal written: readers take each file from its temporary copy while
/// that exists, and the next save finishes the renames and the clean-up). The folder is locked
/// (<see cref="FolderLock"/>) meanwhile. The manifest records the <see cref="SaveKind"/>: a save removes only files
/// that the previous save of the same kind owned, and refuses a folder holding a save of another kind.
/// </summary>
internal sealed class SaveTransaction : IDisposable
{
    private const string TempPrefix = SaveManifest.TempPrefix;
    private readonly FolderLock folderLock;
    private readonly string token = Guid.NewGuid().ToString("N")[..SaveManifest.TempTokenLength];
    private readonly List<SaveManifest.Entry> entries = [];
    private bool done;
    private bool journalWritten;

    /// <summary>Test seam: called with the name of each step of <see cref="Commit"/>; throwing from it stands for a crash there.</summary>
    [ThreadStatic]
    internal static Action<string>? StepHook;

    private SaveTransaction(string directory, string kind, FolderLock folderLock)
    {
        Directory = directory;
        Kind = kind;
        this.folderLock = folderLock;
    }

    /// <summary>The folder being written (absolute).</summary>
    public string Directory { get; }

    /// <summary>The <see cref="SaveKind"/> of this save, recorded in the manifest.</summary>
    public string Kind { get; }

    /// <summary>
    /// Starts a save into <paramref name="directory"/> (created when missing): takes its lock, finishes a save that
    /// a killed process had committed, removes temporaries that killed saves left behind, and checks that the folder
    /// holds no save of another kind.
    /// </summary>
    /// <param name="directory">The folder.</param>
    /// <param name="kind">The <see cref="SaveKind"/> of this save.</param>
    /// <param name="purpose">What the save does, shown to a second writer.</param>
    /// <exception cref="IOException">Another writer (thread or process) holds the folder, the path is not a folder,
    /// or the folder holds a save of another kind.</exception>
    public static SaveTransaction Begin(string directory, string kind, string purpose)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        if (File.Exists(full))
            throw new IOException($"'{full}' is a file; expected a folder to save into.");
        var held = FolderLock.Acquire(full, purpose);
        try
        {
            Recover(full);
            foreach (var stale in System.IO.Directory.EnumerateFiles(full, TempPrefix + "*"))
            {
                if (SaveManifest.IsTemporaryName(Path.GetFileName(stale))) File.Delete(stale);
            }
            CheckKind(full, kind, Previous(full));
            return new SaveTransaction(full, kind, held);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>Writes the file <paramref name="name"/> of this save (to its temporary copy until <see cref="Commit"/>).</summary>
    /// <param name="name">A plain file name in the folder.</param>
    /// <param name="write">Writes the content.</param>
    /// <exception cref="ArgumentException">The name is not a plain file name, is written twice, or is reserved.</exception>
    /// <exception cref="IOException">The target exists and is not a regular file.</exception>
    public void Write(string name, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        CheckName(name);
        if (entries.Any(e => e.Name == name))
            throw new ArgumentException($"'{name}' is written twice in one save.", nameof(name));
        FileSystemGuard.EnsureRegularOrAbsent(Path.Combine(Directory, name));
        string tempName = TempPrefix + token + "." + name;
        string temp = Path.Combine(Directory, tempName);
        try
        {
            using var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
            using (var hashing = new HashingWriteStream(file))
            {
                write(hashing);
                hashing.Flush();
                entries.Add(new SaveManifest.Entry(name, tempName, hashing.BytesWritten, hashing.HashHex()));
            }
            file.Flush(flushToDisk: true);
        }
        catch
        {
            TryDelete(temp);
            entries.RemoveAll(e => e.Name == name);
            throw;
        }
    }

    /// <summary>
    /// The temporary path at which a writer that takes paths (not streams) writes the file <paramref name="name"/> of
    /// this save; <see cref="Adopt"/> then takes it into the save.
    /// </summary>
    public string TempPathOf(string name)
    {
        CheckName(name);
        return Path.Combine(Directory, TempPrefix + token + "." + name);
    }

    /// <summary>Takes the file that a writer put at <see cref="TempPathOf"/>(<paramref name="name"/>) into this save.</summary>
    /// <exception cref="FileNotFoundException">Nothing was written there.</exception>
    public void Adopt(string name)
    {
        string temp = TempPathOf(name);
        if (!File.Exists(temp))
            throw new FileNotFoundException($"'{temp}' was not written.", temp);
        if (entries.Any(e => e.Name == name))
            throw new ArgumentException($"'{name}' is written twice in one save.", nameof(name));
        FileSystemGuard.EnsureRegularOrAbsent(Path.Combine(Directory, name));
        using (var file = new FileStream(temp, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1 << 20))
        {
            file.Flush(flushToDisk: true);
            var hash = System.Security.Cryptography.SHA256.HashData(file);
            entries.Add(new SaveManifest.Entry(name, Path.GetFileName(temp), file.Length, Convert.ToHexStringLower(hash)));
        }
    }

    /// <summary>Writes a UTF-8 text file (no byte-order mark).</summary>
    public void WriteText(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Write(name, s => s.Write(new System.Text.UTF8Encoding(false).GetBytes(text)));
    }

    /// <summary>Writes a copy of the file at <paramref name="source"/>.</summary>
    public void CopyFrom(string name, string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        Write(name, s =>
        {
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            input.CopyTo(s);
        });
    }

    /// <summary>
    /// Makes the save visible: the journal (listing this save's files and the files of the previous save of this
    /// kind that this one does not write), the renames, the removal of those previous files that are still exactly as
    /// that save wrote them, the manifest. A process killed after the journal has the rest done by the next save.
    /// </summary>
    /// <exception cref="IOException">The folder's previous save was written by an earlier version that did not
    /// record its kind, and lists files this save does not write (they might belong to another kind of save); nothing
    /// is changed.</exception>
    public void Commit()
    {
        ObjectDisposedException.ThrowIf(done, this);
        var previous = Previous(Directory);
        CheckKind(Directory, Kind, previous);
        var obsolete = previous is null ? [] : previous.Files.Where(old => !entries.Any(e => e.Name == old.Name)).ToList();
        if (previous is { Kind: null } && obsolete.Count > 0)
            throw new IOException(
                $"'{Directory}' holds {SaveKind.Describe(null)} whose files {string.Join(", ", obsolete.Select(e => e.Name))} are not part of this " +
                $"save ({SaveKind.Describe(Kind)}) and may belong to another kind of save; nothing was changed. Delete them (or use another folder) and save again.");
        FileSystemGuard.FsyncDirectory(Directory);
        StepHook?.Invoke("before-journal");
        WriteSmall(SaveManifest.PendingName, SaveManifest.ToJson(Kind, entries, withTemp: true, obsolete)); // the commit point
        journalWritten = true;
        StepHook?.Invoke("journal");
        Apply(Directory, entries);
        StepHook?.Invoke("renamed");
        Clean(Directory, obsolete);
        StepHook?.Invoke("cleaned");
        Finish(Directory, Kind, entries);
        done = true;
        folderLock.Dispose();
    }

    /// <summary>
    /// Abandons an uncommitted save: its temporaries are deleted and the folder is left as it was. Once the journal is
    /// written the save counts as made, and what is left of it is finished by the next save (and read by loaders).
    /// </summary>
    public void Dispose()
    {
        if (done) return;
        done = true;
        if (!journalWritten)
        {
            foreach (var e in entries) TryDelete(Path.Combine(Directory, e.TempName));
        }
        folderLock.Dispose();
    }

    private void CheckName(string name)
    {
        ObjectDisposedException.ThrowIf(done, this);
        if (!SaveManifest.IsPlainName(name) || name.StartsWith(TempPrefix, StringComparison.Ordinal)
            || name is SaveManifest.FileName or SaveManifest.PendingName or FolderLock.LockName or FolderLock.OwnerName)
            throw new ArgumentException($"'{name}' cannot be a file of a save (a plain file name, not one of Bert.NET's own).", nameof(name));
    }

    /// <summary>The committed save of the folder (its manifest), or null when it has none.</summary>
    private static SaveManifest.Contents? Previous(string directory)
    {
        string manifest = Path.Combine(directory, SaveManifest.FileName);
        return File.Exists(manifest) ? SaveManifest.ReadContents(manifest) : null;
    }

    /// <summary>Refuses to save <paramref name="kind"/> into a folder whose save is of another (recorded) kind.</summary>
    private static void CheckKind(string directory, string kind, SaveManifest.Contents? previous)
    {
        if (previous?.Kind is { } held && held != kind)
            throw new IOException(
                $"'{directory}' holds {SaveKind.Describe(held)} ({SaveManifest.FileName} lists {string.Join(", ", previous.Files.Select(e => e.Name))}); " +
                $"{SaveKind.Describe(kind)} cannot be saved into it, since the folder has one manifest and that save would no longer load. " +
                "Use another folder.");
    }

    /// <summary>
    /// Finishes a save that was committed (journal written) when its process died: the renames, the removal of the
    /// previous save's files that it replaced (when still unchanged), the manifest.
    /// </summary>
    private static void Recover(string directory)
    {
        string pending = Path.Combine(directory, SaveManifest.PendingName);
        if (!File.Exists(pending)) return;
        var journal = SaveManifest.ReadContents(pending);
        Apply(directory, journal.Files);
        Clean(directory, journal.Obsolete);
        // A journal of an earlier version has no kind: its manifest stays without one, as it would have been written.
        Finish(directory, journal.Kind, journal.Files);
    }

    /// <summary>Removes the files of the previous save that this one does not write, each only if still exactly as that save wrote it.</summary>
    private static void Clean(string directory, IReadOnlyList<SaveManifest.Entry> obsolete)
    {
        foreach (var old in obsolete)
        {
            var file = new FileInfo(Path.Combine(directory, old.Name));
            if (file.Exists && file.LinkTarget is null && !SaveManifest.IsTemporaryName(old.Name) && SaveManifest.Matches(file.FullName, old))
                file.Delete();
        }
        FileSystemGuard.FsyncDirectory(directory);
    }

    private static void Apply(string directory, IReadOnlyList<SaveManifest.Entry> journal)
    {
        foreach (var e in journal)
        {
            string temp = Path.Combine(directory, e.TempName);
            if (e.TempName.Length == 0 || !File.Exists(temp)) continue; // renamed before the interruption
            string target = Path.Combine(directory, e.Name);
            FileSystemGuard.EnsureRegularOrAbsent(target);
            File.Move(temp, target, overwrite: true);
            StepHook?.Invoke("renamed:" + e.Name);
        }
        FileSystemGuard.FsyncDirectory(directory);
    }

    private static void Finish(string directory, string? kind, IReadOnlyList<SaveManifest.Entry> journal)
    {
        WriteSmallIn(directory, SaveManifest.FileName, SaveManifest.ToJson(kind, journal, withTemp: false));
        File.Delete(Path.Combine(directory, SaveManifest.PendingName));
        FileSystemGuard.FsyncDirectory(directory);
    }

    private void WriteSmall(string name, string text) => WriteSmallIn(Directory, name, text);

    private static void WriteSmallIn(string directory, string name, string text)
    {
        string target = Path.Combine(directory, name);
        FileSystemGuard.EnsureRegularOrAbsent(target);
        string temp = Path.Combine(directory, SaveManifest.NewTempName(name));
        using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
        {
            file.Write(new System.Text.UTF8Encoding(false).GetBytes(text));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, target, overwrite: true);
        FileSystemGuard.FsyncDirectory(directory);
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException)
        {
            // A leftover temporary is removed by the next save into this folder.
        }
    }
}
