namespace Bert.Benchmarks;

/// <summary>Files of <c>../shared/</c> beside the repository (the KNBC ids, the wiki-ja model).</summary>
internal static class SharedData
{
    /// <summary>The path of a file under <c>../shared/</c>; throws naming the path and the option to pass when it is absent.</summary>
    public static string File(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!System.IO.File.Exists(Path.Combine(dir.FullName, "Bert.sln"))) continue;
            string path = Path.GetFullPath(Path.Combine([dir.FullName, "..", "shared", .. parts]));
            return System.IO.File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: pass the file with its option (see --help)", path);
        }
        throw new InvalidOperationException("Bert.sln not found above the benchmark: pass the files with their options (see --help)");
    }
}
