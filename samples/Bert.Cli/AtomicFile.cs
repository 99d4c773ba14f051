namespace Bert.Cli;

/// <summary>Writes a file through a temporary sibling and a rename, so a failure never leaves half a file.</summary>
internal static class AtomicFile
{
    public static void WriteAllText(string path, string content)
    {
        string temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
