namespace Bert.Tests;

/// <summary>
/// Locates the read-only fixtures folder <c>shared/</c> that sits beside the repository root
/// (<c>../shared</c> from the root). Tests that need it use <see cref="SharedFactAttribute"/>,
/// which skips them with a message naming the missing path.
/// </summary>
public static class SharedData
{
    private static readonly Lazy<string?> Root = new(FindRoot);

    /// <summary>The shared folder, or null when it is not beside the repository.</summary>
    public static string? Directory => Root.Value;

    /// <summary>The absolute path of <paramref name="relative"/> inside shared/ (it may not exist).</summary>
    public static string PathOf(string relative) =>
        System.IO.Path.Combine(Directory ?? System.IO.Path.Combine(RepoRoot(), "..", "shared"), relative);

    /// <summary>True when every path exists (file or directory) inside shared/.</summary>
    public static bool Has(params string[] relative) =>
        relative.All(r => File.Exists(PathOf(r)) || System.IO.Directory.Exists(PathOf(r)));

    /// <summary>The repository root: the first ancestor of the test binary that holds Bert.sln.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Bert.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("Bert.sln not found above " + AppContext.BaseDirectory);
    }

    private static string? FindRoot()
    {
        var env = Environment.GetEnvironmentVariable("BERT_SHARED_DIR");
        if (!string.IsNullOrEmpty(env) && System.IO.Directory.Exists(env))
            return System.IO.Path.GetFullPath(env);
        var candidate = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot(), "..", "shared"));
        return System.IO.Directory.Exists(candidate) ? candidate : null;
    }
}

/// <summary>A fact that needs files from ../shared; skipped, naming the missing path, when absent.</summary>
public sealed class SharedFactAttribute : FactAttribute
{
    /// <param name="relativePaths">Paths inside shared/ the test reads.</param>
    public SharedFactAttribute(params string[] relativePaths)
    {
        var missing = relativePaths.FirstOrDefault(p => !SharedData.Has(p));
        if (missing is not null)
            Skip = $"needs {SharedData.PathOf(missing)} (the shared fixtures beside the repository), which is absent";
    }
}

/// <summary>A theory that needs files from ../shared; skipped, naming the missing path, when absent.</summary>
public sealed class SharedTheoryAttribute : TheoryAttribute
{
    /// <param name="relativePaths">Paths inside shared/ the test reads.</param>
    public SharedTheoryAttribute(params string[] relativePaths)
    {
        var missing = relativePaths.FirstOrDefault(p => !SharedData.Has(p));
        if (missing is not null)
            Skip = $"needs {SharedData.PathOf(missing)} (the shared fixtures beside the repository), which is absent";
    }
}
