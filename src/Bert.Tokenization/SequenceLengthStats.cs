using System.Globalization;
using System.Text;

namespace Bert.Tokenization;

/// <summary>
/// The length distribution of a data set under an indexer, to pick <c>max_seq_len</c> from data: count, longest,
/// mean and percentiles in pieces (without <c>[CLS]</c>/<c>[SEP]</c>), the share of unknown pieces, a histogram
/// and a suggested maximum sequence length. Percentiles use the nearest-rank method.
/// </summary>
public sealed class SequenceLengthStats
{
    private SequenceLengthStats()
    {
    }

    /// <summary>The number of texts measured.</summary>
    public int Count { get; private init; }

    /// <summary>The total number of pieces over all texts.</summary>
    public long TotalPieces { get; private init; }

    /// <summary>The number of pieces that are the unknown token.</summary>
    public long UnknownPieces { get; private init; }

    /// <summary>The share of unknown pieces among all pieces (0 when there are no pieces).</summary>
    public double UnknownShare => TotalPieces == 0 ? 0 : (double)UnknownPieces / TotalPieces;

    /// <summary>The number of texts with at least one unknown piece.</summary>
    public int TextsWithUnknown { get; private init; }

    /// <summary>The fewest pieces of a text.</summary>
    public int MinPieces { get; private init; }

    /// <summary>The most pieces of a text (the reference KNBC run: 101).</summary>
    public int MaxPieces { get; private init; }

    /// <summary>The longest sequence with <c>[CLS]</c> and <c>[SEP]</c>: <see cref="MaxPieces"/> + 2 (KNBC: 103).</summary>
    public int MaxSequenceLength => Count == 0 ? 2 : MaxPieces + 2;

    /// <summary>The mean number of pieces per text.</summary>
    public double MeanPieces { get; private init; }

    /// <summary>The median piece count (nearest rank).</summary>
    public int Percentile50 { get; private init; }

    /// <summary>The 90th percentile of piece counts (nearest rank).</summary>
    public int Percentile90 { get; private init; }

    /// <summary>The 95th percentile of piece counts (nearest rank).</summary>
    public int Percentile95 { get; private init; }

    /// <summary>The 99th percentile of piece counts (nearest rank).</summary>
    public int Percentile99 { get; private init; }

    /// <summary>The indexer's limit when measured (<see cref="IBertIndexer.MaxSequenceLength"/>).</summary>
    public int IndexerMaxSequenceLength { get; private init; }

    /// <summary>How many texts would be truncated at <see cref="IndexerMaxSequenceLength"/>.</summary>
    public int TruncatedAtIndexerMax { get; private init; }

    /// <summary>
    /// The suggested <c>max_seq_len</c>: the longest sequence with <c>[CLS]</c>/<c>[SEP]</c>, so that no text is
    /// truncated, capped at the indexer's limit.
    /// </summary>
    public int SuggestedMaxSequenceLength => Math.Min(MaxSequenceLength, IndexerMaxSequenceLength);

    /// <summary>The length histogram in pieces: up to 10 bins of equal width covering [<see cref="MinPieces"/>, <see cref="MaxPieces"/>].</summary>
    public IReadOnlyList<LengthBin> Histogram { get; private init; } = [];

    /// <summary>Measures <paramref name="texts"/> (each tokenized once, without truncation).</summary>
    /// <exception cref="ArgumentNullException">The indexer, the sequence or one of its texts is null.</exception>
    public static SequenceLengthStats Measure(IBertIndexer indexer, IEnumerable<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(indexer);
        ArgumentNullException.ThrowIfNull(texts);
        var lengths = new List<int>();
        long unknown = 0;
        var textsWithUnknown = 0;
        var unkId = indexer.UnkId;
        foreach (var text in texts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (text is null)
                throw new ArgumentNullException(nameof(texts), $"Text {lengths.Count} is null.");
            var ids = indexer.TokenizeToIds(text);
            var unkHere = 0;
            foreach (var id in ids)
            {
                if (id == unkId)
                    unkHere++;
            }
            unknown += unkHere;
            textsWithUnknown += unkHere > 0 ? 1 : 0;
            lengths.Add(ids.Count);
        }

        var limit = indexer.MaxSequenceLength;
        if (lengths.Count == 0)
            return new SequenceLengthStats { IndexerMaxSequenceLength = limit };

        var sorted = lengths.ToArray();
        Array.Sort(sorted);
        int Rank(double p) => sorted[Math.Max(0, (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1)];
        long total = 0;
        foreach (var l in sorted)
            total += l;

        return new SequenceLengthStats
        {
            Count = sorted.Length,
            TotalPieces = total,
            UnknownPieces = unknown,
            TextsWithUnknown = textsWithUnknown,
            MinPieces = sorted[0],
            MaxPieces = sorted[^1],
            MeanPieces = (double)total / sorted.Length,
            Percentile50 = Rank(50),
            Percentile90 = Rank(90),
            Percentile95 = Rank(95),
            Percentile99 = Rank(99),
            IndexerMaxSequenceLength = limit,
            TruncatedAtIndexerMax = sorted.Count(l => l + 2 > limit),
            Histogram = BuildHistogram(sorted),
        };
    }

    private static LengthBin[] BuildHistogram(int[] sorted)
    {
        int min = sorted[0], max = sorted[^1];
        var width = Math.Max(1, (int)Math.Ceiling((max - min + 1) / 10.0));
        var bins = new List<LengthBin>();
        for (var from = min; from <= max; from += width)
        {
            var to = Math.Min(max, from + width - 1);
            var f = from;
            bins.Add(new LengthBin(from, to, sorted.Count(l => l >= f && l <= to)));
        }
        return [.. bins];
    }

    /// <summary>A readable report: counts, percentiles, unknown share, histogram and the suggestion.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        b.AppendLine(c, $"texts: {Count}, pieces: {TotalPieces} (without [CLS]/[SEP])");
        if (Count == 0)
            return b.Append("no texts measured").ToString();
        b.AppendLine(c, $"pieces per text: min {MinPieces}, mean {MeanPieces:F1}, p50 {Percentile50}, p90 {Percentile90}, p95 {Percentile95}, p99 {Percentile99}, max {MaxPieces}");
        b.AppendLine(c, $"longest with [CLS]/[SEP]: {MaxSequenceLength}");
        b.AppendLine(c, $"unknown pieces: {UnknownPieces} ({UnknownShare:P3}) in {TextsWithUnknown} texts");
        b.AppendLine(c, $"truncated at max_seq_len {IndexerMaxSequenceLength}: {TruncatedAtIndexerMax} texts");
        b.AppendLine("histogram (pieces: texts):");
        var widest = Histogram.Max(h => h.Count);
        foreach (var bin in Histogram)
        {
            var bar = new string('#', widest == 0 ? 0 : (int)Math.Round(40.0 * bin.Count / widest));
            b.AppendLine(c, $"  {bin.From,4}-{bin.To,-4} {bin.Count,7} {bar}");
        }
        b.Append(c, $"suggested max_seq_len: {SuggestedMaxSequenceLength}");
        return b.ToString();
    }
}
