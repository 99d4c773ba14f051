using System.Diagnostics;
using Bert.Tokenization;

namespace Bert.Benchmarks;

/// <summary>Tokens per second of the SentencePiece indexer on the KNBC sentences.</summary>
internal static class IndexerBench
{
    public static Dictionary<string, object> Run(BenchOptions o)
    {
        string spm = o.Spm ?? throw new ArgumentException("indexer mode needs --spm MODEL and --knbc-lengths TSV (the sentences are its first column)");
        string tsv = o.LengthsFrom ?? throw new ArgumentException("indexer mode needs --knbc-lengths TSV");
        var texts = File.ReadLines(tsv).Select(l => l.Split('\t')[0]).ToArray();
        var indexer = SentencePieceIndexer.Load(spm);
        long tokens = texts.Sum(t => (long)indexer.TokenizeToIds(t).Count);
        var times = new List<double>();
        for (int i = 0; i < o.Warmup + o.Iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var t in texts) indexer.Encode(t);
            if (i >= o.Warmup) times.Add(clock.Elapsed.TotalSeconds);
        }
        double median = Measure.Median(times);
        return new Dictionary<string, object>
        {
            ["impl"] = "bert.net", ["shape"] = "-", ["mode"] = "indexer", ["dtype"] = "-", ["batch"] = 1, ["seq"] = -1, ["threads"] = 1,
            ["texts"] = texts.Length, ["tokens"] = tokens, ["tokens_per_s"] = Math.Round(tokens / median), ["seq_per_s"] = Math.Round(texts.Length / median, 1),
            ["peak_rss_mb"] = Measure.PeakRssMb(),
        };
    }
}
