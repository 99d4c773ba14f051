namespace Bert.Core;

/// <summary>Where the native libraries libtorch brought into this process were loaded from (Linux: <c>/proc/self/maps</c>).</summary>
internal static class NativeLibraries
{
    /// <summary>The full path of the loaded library named <paramref name="fileName"/>, or null when none is loaded (or not on Linux).</summary>
    public static string? LoadedPath(string fileName)
    {
        if (!File.Exists("/proc/self/maps")) return null;
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            int slash = line.IndexOf('/');
            if (slash > 0 && line.EndsWith("/" + fileName, StringComparison.Ordinal))
                return line[slash..];
        }
        return null;
    }
}
