namespace Bert.Cli;

/// <summary>A failure the user can fix; printed as one line, with the given exit code.</summary>
internal sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
