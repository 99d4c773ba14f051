using Bert.Tokenization;

namespace Bert.Cli;

/// <summary>
/// Says on standard error how many inputs were longer than the classifier's truncation length (the length it was trained
/// at), so that a prediction made from the first pieces of a long text is not taken for one made from all of it.
/// </summary>
internal static class TruncationNote
{
    public static void Report(IBertIndexer indexer, int maxLength, IReadOnlyList<string> firsts, IReadOnlyList<string>? seconds)
    {
        int cut = 0, longest = 0;
        for (int i = 0; i < firsts.Count; i++)
        {
            // The indexer's own length may be longer than the classifier's; measure the whole input.
            int length = 2 + indexer.TokenizeToIds(firsts[i]).Count + (seconds is null ? 0 : 1 + indexer.TokenizeToIds(seconds[i]).Count);
            if (length > maxLength) cut++;
            longest = Math.Max(longest, length);
        }
        if (cut > 0)
            Console.Error.WriteLine($"note: {cut} of {firsts.Count} input(s) are longer than the classifier's {maxLength} pieces (the longest {longest}) and were cut to them; " +
                "it was trained at that length (train with --max-seq-len to set a longer one).");
    }
}
