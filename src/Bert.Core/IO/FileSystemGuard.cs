using System.Runtime.InteropServices;

namespace Bert.Core.IO;

/// <summary>
/// What a writer checks before it renames over a path, and how it makes a rename durable: only a regular file
/// (or nothing) is ever replaced, so <c>--output /dev/null</c> or a symbolic link is refused instead of being turned
/// into a regular file; folders are flushed with <c>fsync</c> so a rename survives a power cut.
/// </summary>
internal static class FileSystemGuard
{
    private const int SIfMt = 0xF000;
    private const int SIfReg = 0x8000;
    private const int OReadOnly = 0;
    private const int ODirectory = 0x10000; // x86-64 and arm64

    /// <summary>Throws unless <paramref name="path"/> is absent or a regular file (not a device, pipe, socket, folder or link).</summary>
    /// <exception cref="IOException">The path is something else; the message names it.</exception>
    public static void EnsureRegularOrAbsent(string path)
    {
        if (Directory.Exists(path))
            throw new IOException($"'{path}' is a folder; expected a file path to write.");
        var info = new FileInfo(path);
        if (!info.Exists && info.LinkTarget is null)
            return;
        if (info.LinkTarget is not null)
            throw new IOException($"'{path}' is a symbolic link; refusing to replace it (write to the file it points at, or remove the link).");
        if (Kind(path) is { } mode && (mode & SIfMt) != SIfReg)
            throw new IOException($"'{path}' is not a regular file (a device, pipe or socket); refusing to replace it.");
    }

    /// <summary>
    /// Creates a folder and its parents, with a message naming what is in the way when that fails: a file or device
    /// where a folder is needed (<c>--output /dev/null</c>), or a symbolic link to a missing folder.
    /// </summary>
    /// <exception cref="IOException">A path on the way is not a folder; the message names it.</exception>
    public static void CreateDirectory(string path)
    {
        try
        {
            Directory.CreateDirectory(path);
        }
        catch (IOException ex)
        {
            for (string? p = Path.GetFullPath(path); p is not null; p = Path.GetDirectoryName(p))
            {
                if (Directory.Exists(p))
                    break;
                var info = new FileInfo(p);
                if (info.LinkTarget is not null)
                    throw new IOException($"'{p}' is a symbolic link to '{info.LinkTarget}', which is not an existing folder: cannot create the folder '{path}' there.", ex);
                if (info.Exists || Kind(p) is not null)
                    throw new IOException($"'{p}' is a file or a device, not a folder: cannot create the folder '{path}' there.", ex);
            }
            throw;
        }
    }

    /// <summary>Flushes a folder's entries (renames, creations) to disk; a no-op where folders cannot be opened.</summary>
    public static void FsyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return;
        try
        {
            int fd = Open(directory, OReadOnly | (OperatingSystem.IsLinux() ? ODirectory : 0));
            if (fd < 0)
                return;
            try
            {
                _ = Fsync(fd);
            }
            finally
            {
                _ = Close(fd);
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // The data files were flushed; without fsync on the folder a rename may be lost in a power cut only.
        }
    }

    /// <summary>The st_mode of a path (not following links) on Linux x64/arm64, or null where that cannot be read.</summary>
    private static int? Kind(string path)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        int modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (modeOffset < 0)
            return null;
        var buffer = new byte[256];
        try
        {
            return LStat(path, buffer) == 0 ? BitConverter.ToInt32(buffer, modeOffset) : null;
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return null;
        }
    }

    // DllImport, not LibraryImport: these signatures need no generated marshalling, which would require unsafe code.
#pragma warning disable SYSLIB1054, CA2101
    [DllImport("libc", EntryPoint = "lstat", SetLastError = false)]
    private static extern int LStat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] buffer);

    [DllImport("libc", EntryPoint = "open", SetLastError = false)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync")]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
#pragma warning restore SYSLIB1054, CA2101
}
