using System.Diagnostics;
using Bert.Tokenization.MeCab;

namespace Bert.Benchmarks;

/// <summary>
/// Sentences per second of <see cref="MeCabTagger"/> (one thread) on the KNBC sentences, and of the reference
/// <c>mecab -Owakati</c> on the same sentences when it is installed (its start-up, timed on empty input, is subtracted).
/// </summary>
internal static class SegmentBench
{
    public static Dictionary<string, object> Run(BenchOptions o)
    {
        string folder = o.MeCabDicDir ?? throw new ArgumentException("segment mode needs --mecab-dicdir DIR and --knbc-lengths TSV (the sentences are its first column)");
        string tsv = o.LengthsFrom ?? throw new ArgumentException("segment mode needs --knbc-lengths TSV");
        var texts = File.ReadLines(tsv).Select(l => l.Split('\t')[0]).ToArray();
        var load = Stopwatch.StartNew();
        var tagger = MeCabTagger.Load(folder);
        double loadSeconds = load.Elapsed.TotalSeconds;
        long words = texts.Sum(t => (long)tagger.Wakati(t).Count);
        var times = new List<double>();
        for (int i = 0; i < o.Warmup + o.Iterations; i++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var t in texts) tagger.Wakati(t);
            if (i >= o.Warmup) times.Add(clock.Elapsed.TotalSeconds);
        }
        double median = Measure.Median(times);
        var result = new Dictionary<string, object>
        {
            ["impl"] = "bert.net", ["shape"] = "-", ["mode"] = "segment", ["dtype"] = "-", ["batch"] = 1, ["seq"] = -1, ["threads"] = 1,
            ["dictionary"] = folder, ["load_s"] = Math.Round(loadSeconds, 3), ["texts"] = texts.Length, ["words"] = words,
            ["seq_per_s"] = Math.Round(texts.Length / median, 1), ["peak_rss_mb"] = Measure.PeakRssMb(),
        };
        if (File.Exists("/usr/bin/mecab"))
        {
            // The sentences repeated, so that mecab's run is long against its start-up.
            const int repeats = 10;
            string input = Path.GetTempFileName();
            try
            {
                File.WriteAllLines(input, Enumerable.Repeat(texts, repeats).SelectMany(t => t));
                double startup = Measure.Median(Enumerable.Range(0, 3).Select(_ => RunMecab(folder, "/dev/null")).ToList());
                double run = Measure.Median(Enumerable.Range(0, Math.Max(1, o.Iterations / 2)).Select(_ => RunMecab(folder, input)).ToList());
                result["mecab_seq_per_s"] = Math.Round(texts.Length * repeats / Math.Max(1e-9, run - startup), 1);
                result["mecab_startup_s"] = Math.Round(startup, 3);
            }
            finally
            {
                File.Delete(input);
            }
        }
        return result;
    }

    private static double RunMecab(string folder, string input)
    {
        var start = new ProcessStartInfo("/usr/bin/mecab") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-Owakati", "-d", folder, input }) start.ArgumentList.Add(a);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.StandardOutput.BaseStream.CopyTo(Stream.Null);
        process.WaitForExit();
        return clock.Elapsed.TotalSeconds;
    }
}
