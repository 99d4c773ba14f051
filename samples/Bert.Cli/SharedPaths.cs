namespace Bert.Cli;

/// <summary>
/// Finds the data and models given beside the repository in <c>shared/</c> (the KNBC corpus and the Japanese
/// Wikipedia BERT's SentencePiece model), whether the app runs from the repository root or elsewhere.
/// </summary>
internal static class SharedPaths
{
    public static string? SharedDirectory { get; } = Find();

    public static string Default(string relative) =>
        Path.Combine(SharedDirectory ?? Path.Combine("..", "shared"), relative);

    public const string KnbcHelp =
        "KNBC (KNB corpus, Kyoto University and NTT blog corpus, v1.0): download it from Kyoto University's " +
        "Kurohashi-Kawahara lab (search 'KNB corpus'), unpack it, and pass the folder holding corpus2/*.tsv with --knbc.";

    public const string SpmHelp =
        "The SentencePiece model of the Japanese Wikipedia BERT (wiki-ja.model, 32000 pieces) comes with the " +
        "yoheikikuta/bert-japanese release; pass it with --spm.";

    private static string? Find()
    {
        var env = Environment.GetEnvironmentVariable("BERT_SHARED_DIR");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return Path.GetFullPath(env);
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Bert.sln")))
                {
                    var shared = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared"));
                    if (Directory.Exists(shared)) return shared;
                }
            }
        }
        return null;
    }
}
