using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Bert.Tokenization;

/// <summary>
/// One save of a folder as a loader reads it: every file its manifest (or, while a save is being committed, its
/// journal) lists, held open and checked against the listed size and SHA-256 through that open file. A save replaces
/// files by renaming new ones over them, which never changes an open file, so what a loader parses is what was
/// checked, however many saves commit meanwhile; a loader needs no lock and no write access (a read-only folder, a
/// model baked into a container image). Files that do not match while a save may be running (its
/// <c>.bert_net.lock.owner</c> is there, or the manifest changed meanwhile) are taken again after a short pause, for
/// at most <see cref="WaitForSave"/>: the loader gets the previous save or the new one, whole. The one way every loader
/// of a saved folder reads it.
/// </summary>
/// <remarks>
/// While the snapshot is not disposed, the libraries' file reads on the same thread or async flow
/// (<see cref="OpenRead"/>, <see cref="FileExists"/>, <see cref="BoundedFile"/>) of a path it holds (the file's name in
/// the folder, or the temporary copy a pending save reads it from) read the open file, so the parsers keep taking
/// paths and naming them in their messages; lookups of the folder's files by name (<see cref="FileIn"/>,
/// <see cref="SaveManifest.Scan"/>) give the files of its save, and files no save lists as they are.
/// </remarks>
internal sealed class SaveSnapshot : IDisposable
{
    /// <summary>The name of the file that describes the holder of a folder's lock while a save runs (Bert.Core's <c>FolderLock</c>).</summary>
    internal const string LockOwnerName = ".bert_net.lock.owner";

    private const int HashBuffer = 1 << 20;
    private static readonly AsyncLocal<SaveSnapshot?> Innermost = new();
    private readonly Dictionary<string, (SafeFileHandle Handle, long Length)> byPath = new(StringComparer.Ordinal);
    private readonly List<SafeFileHandle> handles = [];
    private SaveSnapshot? outer;
    private bool active;
    private bool disposed;

    /// <summary>How long a loader waits for a save that is being committed to finish (30 s).</summary>
    internal static TimeSpan WaitForSave { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Test seam: called with the folder after each snapshot is taken, before a loader reads from it.</summary>
    [ThreadStatic]
    internal static Action<string>? TakenHook;

    private SaveSnapshot(string directory) => Directory = directory;

    /// <summary>The folder (absolute).</summary>
    public string Directory { get; }

    /// <summary>
    /// The path of each file of the save by name (its name in the folder, or while a save is pending the temporary
    /// copy it was taken from), and under <see cref="SaveManifest.FileName"/> the manifest or journal that lists them.
    /// </summary>
    public IReadOnlyDictionary<string, string> Paths => paths;

    private readonly Dictionary<string, string> paths = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes the save of <paramref name="directory"/> (see the class): null when the folder has no manifest (written
    /// by another tool, or by an older version), whose files are then read by path as they are.
    /// </summary>
    /// <exception cref="InvalidDataException">A listed file is missing or differs from the manifest (also after
    /// waiting for a running save); the message names it.</exception>
    public static SaveSnapshot? Take(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        directory = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var snapshot = new SaveSnapshot(directory);
            string? source = null;
            byte[]? listing = null;
            try
            {
                if (!snapshot.TryTake(out source, out listing))
                {
                    snapshot.Dispose();
                    return null;
                }
                snapshot.Activate();
            }
            catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException or DirectoryNotFoundException)
            {
                snapshot.Dispose();
                bool changed = ListingChanged(directory, source, listing);
                bool saving = File.Exists(Path.Combine(directory, LockOwnerName));
                if (!(changed || saving) || clock.Elapsed >= WaitForSave)
                    throw ex as InvalidDataException ?? new InvalidDataException(ex.Message, ex);
                Thread.Sleep(changed ? 1 : 20);
                continue;
            }
            catch
            {
                snapshot.Dispose();
                throw;
            }
            try
            {
                TakenHook?.Invoke(directory);
                return snapshot;
            }
            catch
            {
                snapshot.Dispose();
                throw;
            }
        }
    }

    /// <summary>The verified bytes of the file at <paramref name="path"/> when a snapshot of this flow holds it; otherwise null.</summary>
    public static byte[]? VerifiedBytes(string path, long maxBytes, string what)
    {
        if (Find(path) is not { } file) return null;
        using var stream = new SnapshotFileStream(file.Handle, file.Length);
        return BoundedFile.ReadAllBytes(stream, maxBytes, $"{what} '{path}'");
    }

    /// <summary>
    /// Opens the file at <paramref name="path"/> for reading: the file a snapshot of this flow holds under that path
    /// (see the class), or else the file there (<see cref="FileShare.Read"/>).
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither is there.</exception>
    public static Stream OpenRead(string path, int bufferSize = 1 << 16, FileOptions options = FileOptions.None)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Find(path) is { } file)
        {
            var view = new SnapshotFileStream(file.Handle, file.Length);
            return bufferSize > 1 ? new BufferedStream(view, bufferSize) : view;
        }
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize, options);
    }

    /// <summary>
    /// The open file and its length that a snapshot of this flow holds at <paramref name="path"/>, for a reader that
    /// reads at offsets (<see cref="RandomAccess"/>); null when none holds it. The handle stays the snapshot's: do not
    /// dispose it, and do not read it after the snapshot is disposed.
    /// </summary>
    public static (SafeFileHandle Handle, long Length)? HeldFile(string path) => Find(path);

    /// <summary>True when a snapshot of this flow holds <paramref name="path"/>, or a file is there (<see cref="File.Exists"/>).</summary>
    public static bool FileExists(string path) => Find(path) is not null || File.Exists(path);

    /// <summary>
    /// The path of the file <paramref name="name"/> of the folder as a loader holding this snapshot reads it: a file the
    /// save lists, where the snapshot holds it; a file no save lists (put beside the save by hand, e.g. a
    /// <c>vocab.txt</c> next to a model-only save) at its name in the folder, as it is; null otherwise (also for a
    /// file that a save committed since this snapshot wrote: it belongs to that save).
    /// </summary>
    public string? PathOf(string name)
    {
        if (paths.TryGetValue(name, out var held)) return name == SaveManifest.FileName ? null : held;
        string path = Path.Combine(Directory, name);
        return !SaveManifest.IsTemporaryName(name) && File.Exists(path) && ListedNow()?.Contains(name) == false ? path : null;
    }

    /// <summary>
    /// The files whose names match <paramref name="searchPattern"/> as a folder scan under this snapshot sees them
    /// (<see cref="SaveManifest.Scan"/>): the save's files where the snapshot holds them, and the files it does not
    /// list and no save since wrote (as <see cref="PathOf"/>), never a save's temporary. Sorted by name.
    /// </summary>
    public string[] Scan(string searchPattern)
    {
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var listed = ListedNow();
        foreach (var path in System.IO.Directory.GetFiles(Directory, searchPattern))
        {
            string name = Path.GetFileName(path);
            if (!SaveManifest.IsTemporaryName(name) && listed?.Contains(name) == false) found[name] = path;
        }
        foreach (var (name, path) in paths)
        {
            if (name != SaveManifest.FileName && System.IO.Enumeration.FileSystemName.MatchesSimpleExpression(searchPattern, name))
                found[name] = path;
        }
        return [.. found.Values];
    }

    /// <summary>
    /// The names the folder's save lists now (its journal while one is pending, else its manifest), the manifest and
    /// journal included; null when that listing cannot be read (a save is replacing it), so that no file outside this
    /// snapshot is taken for one that no save wrote.
    /// </summary>
    private HashSet<string>? ListedNow()
    {
        string pending = Path.Combine(Directory, SaveManifest.PendingName);
        string manifest = Path.Combine(Directory, SaveManifest.FileName);
        try
        {
            var names = new HashSet<string>(StringComparer.Ordinal) { SaveManifest.FileName, SaveManifest.PendingName, LockOwnerName };
            if (File.Exists(pending)) names.UnionWith(SaveManifest.Read(pending).Select(e => e.Name));
            if (File.Exists(manifest)) names.UnionWith(SaveManifest.Read(manifest).Select(e => e.Name));
            return names;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// The path of the file <paramref name="name"/> in <paramref name="folder"/> for a loader's lookup: under a snapshot
    /// of this flow that holds the folder, its <see cref="PathOf"/>; otherwise the file there when it exists
    /// (<see cref="File.Exists"/>), else null.
    /// </summary>
    public static string? FileIn(string folder, string name)
    {
        if (Of(folder) is { } snapshot) return snapshot.PathOf(name);
        string path = Path.Combine(folder, name);
        return File.Exists(path) ? path : null;
    }

    /// <summary>The innermost snapshot of this flow that holds the folder <paramref name="directory"/>; null when none does.</summary>
    public static SaveSnapshot? Of(string directory)
    {
        if (Innermost.Value is null || string.IsNullOrEmpty(directory)) return null;
        string full;
        try
        {
            full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
        for (var s = Innermost.Value; s is not null; s = s.outer)
        {
            if (!s.disposed && string.Equals(s.Directory, full, StringComparison.Ordinal)) return s;
        }
        return null;
    }

    /// <summary>Closes the files; reads by path on this flow go to the folder again.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        if (active)
        {
            // Snapshots end in the reverse order of their start on one flow (using blocks); tolerate any other order.
            if (Innermost.Value == this) Innermost.Value = outer;
            active = false;
        }
        foreach (var handle in handles) handle.Dispose();
    }

    private static (SafeFileHandle Handle, long Length)? Find(string path)
    {
        if (Innermost.Value is null || string.IsNullOrEmpty(path)) return null;
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return null;
        }
        for (var s = Innermost.Value; s is not null; s = s.outer)
        {
            if (!s.disposed && s.byPath.TryGetValue(full, out var file)) return file;
        }
        return null;
    }

    private void Activate()
    {
        outer = Innermost.Value;
        Innermost.Value = this;
        active = true;
    }

    /// <summary>Opens and checks every listed file; false when the folder has no manifest.</summary>
    /// <exception cref="InvalidDataException">A file differs from the listing.</exception>
    /// <exception cref="FileNotFoundException">A file (or the listing) vanished or is missing.</exception>
    private bool TryTake(out string? source, out byte[]? listing)
    {
        listing = null;
        string pending = Path.Combine(Directory, SaveManifest.PendingName);
        string manifest = Path.Combine(Directory, SaveManifest.FileName);
        bool isPending = File.Exists(pending);
        source = isPending ? pending : File.Exists(manifest) ? manifest : null;
        if (source is null) return false;
        var (sourceHandle, sourceLength) = Open(source) ?? throw new FileNotFoundException($"'{source}' vanished while it was read.", source);
        using (var stream = new SnapshotFileStream(sourceHandle, sourceLength))
            listing = BoundedFile.ReadAllBytes(stream, SaveManifest.MaxManifestBytes, $"save manifest '{source}'");
        var contents = SaveManifest.ParseContents(BoundedFile.DecodeUtf8(listing, $"save manifest '{source}'"), source);
        foreach (var entry in contents.Files)
        {
            string target = Path.Combine(Directory, entry.Name);
            string temp = entry.TempName.Length > 0 ? Path.Combine(Directory, entry.TempName) : target;
            // A pending save's file is read from its temporary copy while that is there; once renamed, from its name.
            string path = isPending && entry.TempName.Length > 0 ? temp : target;
            var opened = Open(path);
            if (opened is null && path != target)
            {
                path = target;
                opened = Open(target);
            }
            var file = opened ?? throw new FileNotFoundException($"'{target}' is listed in '{source}' but missing: the save is incomplete.", target);
            Check(file.Handle, file.Length, path, entry, source);
            paths[entry.Name] = path;
            byPath[target] = file;
            byPath[path] = file;
            if (isPending) byPath[temp] = file;
        }
        paths[SaveManifest.FileName] = source;
        byPath[source] = (sourceHandle, sourceLength);
        return true;
    }

    /// <summary>Opens a file for this snapshot (null when it is not there); a save may rename or delete it meanwhile.</summary>
    private (SafeFileHandle Handle, long Length)? Open(string path)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        handles.Add(handle);
        return (handle, RandomAccess.GetLength(handle));
    }

    private static void Check(SafeFileHandle handle, long length, string path, SaveManifest.Entry entry, string manifest)
    {
        if (length != entry.Size)
            throw new InvalidDataException($"'{path}' has {length} bytes but '{manifest}' lists {entry.Size}: the save was interrupted or the file was changed after saving.");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[(int)Math.Min(HashBuffer, Math.Max(length, 1))];
        long offset = 0;
        while (offset < length)
        {
            int read = RandomAccess.Read(handle, buffer, offset);
            if (read == 0) break;
            hash.AppendData(buffer, 0, read);
            offset += read;
        }
        string found = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (offset != length || !string.Equals(found, entry.Sha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"'{path}' has SHA-256 {found} but '{manifest}' lists {entry.Sha256}: the save was interrupted or the file was changed after saving.");
    }

    /// <summary>Whether the folder's listing (manifest or journal) is no longer the one a failed attempt read.</summary>
    private static bool ListingChanged(string directory, string? source, byte[]? listing)
    {
        string pending = Path.Combine(directory, SaveManifest.PendingName);
        string manifest = Path.Combine(directory, SaveManifest.FileName);
        string? now = File.Exists(pending) ? pending : File.Exists(manifest) ? manifest : null;
        if (now != source || listing is null || now is null) return true;
        try
        {
            return !BoundedFile.ReadAllBytes(now, SaveManifest.MaxManifestBytes, "save manifest").AsSpan().SequenceEqual(listing);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException)
        {
            return true;
        }
    }
}
