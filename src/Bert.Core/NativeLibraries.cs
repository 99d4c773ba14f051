using System.Runtime.InteropServices;

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

    /// <summary>
    /// The addresses of <paramref name="names"/> as libtorch_cpu.so sees them (Linux x64 only; dlsym on its handle also
    /// searches the libraries it depends on, its own OpenMP runtime and MKL first), or null when one is missing.
    /// </summary>
    public static nint[]? LibtorchExports(params string[] names)
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64) return null;
        TorchRuntime.EnsureAvailable();
        var library = LoadedPath("libtorch_cpu.so");
        if (library is null || !NativeLibrary.TryLoad(library, out var handle)) return null;
        var addresses = new nint[names.Length];
        for (int i = 0; i < names.Length; i++)
            if (!NativeLibrary.TryGetExport(handle, names[i], out addresses[i])) return null;
        return addresses;
    }
}
