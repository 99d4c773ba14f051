using System.Text;
using Bert.Tokenization;

namespace Bert.Core.Checkpoints;

/// <summary>
/// Recognises a Git LFS pointer file (what a clone without <c>git lfs</c> holds in place of model weights: a few lines
/// starting <c>version https://git-lfs.github.com/spec/v1</c>), so that the error says what to do instead of
/// reporting a malformed checkpoint.
/// </summary>
internal static class GitLfsPointer
{
    private static readonly byte[] Signature = Encoding.ASCII.GetBytes("version https://git-lfs.github.com/spec/");

    /// <exception cref="InvalidDataException"><paramref name="path"/> is a Git LFS pointer.</exception>
    public static void ThrowIfPointer(string path)
    {
        // A pointer is about 130 bytes; anything else (also a pipe or device, whose length is 0) is left to the readers.
        if (!SaveSnapshot.FileExists(path))
            return;
        var head = new byte[Signature.Length];
        int read;
        using (var stream = SaveSnapshot.OpenRead(path, 1))
        {
            if (stream.Length < Signature.Length || stream.Length > 1024)
                return;
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        if (read == head.Length && head.AsSpan().SequenceEqual(Signature))
            throw new InvalidDataException(
                $"'{path}' is a Git LFS pointer, not the file it stands for: fetch the real file (`git lfs install` and `git lfs pull` in the clone, or download it) and load again.");
    }
}
