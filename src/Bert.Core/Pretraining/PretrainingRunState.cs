namespace Bert.Core.Pretraining;

/// <summary>
/// The pretrainer's part of a training checkpoint's <c>trainer.json</c> (the <c>Run</c> of
/// <see cref="Training.TrainerState{TRun}"/>): the batch size, the batch generator's state and the run's fingerprint.
/// </summary>
internal sealed class PretrainingRunState
{
    public int BatchSize { get; set; }
    public PretrainingBatchGeneratorState? Generator { get; set; }
    public PretrainingFingerprint? Fingerprint { get; set; }
}

/// <summary>
/// What identifies a pretraining run, so that a checkpoint is resumed only by the same run: SHA-256 hashes (hex) of the
/// tokenized corpus, of the batch generator's options and vocabulary, of the trainer options that change the result
/// (not Steps, which a resumed run may raise, nor the device, checkpoint or progress intervals), and of the model config.
/// </summary>
internal sealed record PretrainingFingerprint(string Corpus, string Generator, string Trainer, string Model)
{
    /// <summary>The parts that differ from <paramref name="other"/>, named for a message ("the corpus", ...).</summary>
    public IReadOnlyList<string> Differences(PretrainingFingerprint other)
    {
        var list = new List<string>();
        if (Corpus != other.Corpus) list.Add("the corpus (its tokenized documents)");
        if (Generator != other.Generator) list.Add("the batch generator's options (sequence length, masking, next-sentence and seed settings) or vocabulary");
        if (Trainer != other.Trainer) list.Add("the trainer options (batch size, learning rate, warm-up, weight decay, clipping, seed)");
        if (Model != other.Model) list.Add("the model config");
        return list;
    }

    internal static string Hash(Action<Action<string>> write)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        write(text =>
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(text));
            hash.AppendData([0]);
        });
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    internal static string Invariant(params object?[] values) =>
        string.Join("|", values.Select(v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture)));
}
