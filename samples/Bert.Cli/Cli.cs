using System.Runtime.InteropServices;

namespace Bert.Cli;

/// <summary>
/// The CLI's error boundary: runs a command body and turns every expected failure (bad or missing files, bad input,
/// memory exhausted) into ONE line <c>error: ...</c> on stderr and a non-zero exit code. Exit codes: 1 for an error,
/// the <see cref="CliException.ExitCode"/> it carries (2: shared data missing), 130 when cancelled. An unexpected
/// exception (a bug) is one line too; <c>--verbose</c> adds the stack trace of either.
/// </summary>
internal static class Cli
{
    /// <summary>Set from the global <c>--verbose</c> option: print stack traces after the one-line message.</summary>
    public static bool Verbose { get; set; }

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (CliException ex)
        {
            return Fail(ex.Message, ex, ex.ExitCode);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled; the last complete checkpoint, if any, is intact.");
            return 130;
        }
        catch (Exception ex) when (IsOutOfMemory(ex))
        {
            return Fail("out of memory: " + OneLine(ex.Message) + " (a smaller model, batch or input?)", ex, 1);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or InvalidDataException
                                       or ArgumentException or InvalidOperationException or IOException or UnauthorizedAccessException
                                       or NotSupportedException or PlatformNotSupportedException)
        {
            return Fail(OneLine(ex.Message), ex, 1);
        }
        catch (Exception ex)
        {
            return Fail($"unexpected {ex.GetType().Name}: {OneLine(ex.Message)} (a bug: please report it with the output of --verbose)", ex, 1);
        }
    }

    /// <summary>
    /// .NET's own <see cref="OutOfMemoryException"/> (and <see cref="InsufficientMemoryException"/>), or libtorch's
    /// allocator failing, which TorchSharp surfaces as an <see cref="ExternalException"/>
    /// (<c>DefaultCPUAllocator: not enough memory</c>, <c>std::bad_alloc</c>).
    /// </summary>
    private static bool IsOutOfMemory(Exception ex) =>
        ex is OutOfMemoryException
        || (ex is ExternalException && (ex.Message.Contains("not enough memory", StringComparison.OrdinalIgnoreCase)
                                        || ex.Message.Contains("bad_alloc", StringComparison.Ordinal)
                                        || ex.Message.Contains("alloc_cpu", StringComparison.Ordinal)));

    private static int Fail(string message, Exception ex, int exitCode)
    {
        Console.Error.WriteLine("error: " + message);
        if (Verbose)
            Console.Error.WriteLine(ex.ToString());
        return exitCode;
    }

    /// <summary>The message on one line: a multi-line message (a load report's lists) is joined with "; ".</summary>
    private static string OneLine(string message) =>
        string.Join("; ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
