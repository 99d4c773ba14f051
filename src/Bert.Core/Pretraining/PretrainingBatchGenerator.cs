namespace Bert.Core.Pretraining;

/// <summary>
/// Makes BERT pretraining examples from documents of tokenized sentences, as Google's
/// <c>create_pretraining_data.py</c> does, but on the fly and seeded: a pair of segments A/B whose B follows A in the
/// same document, or (with <see cref="PretrainingBatchGeneratorOptions.RandomNextProbability"/>) comes from another
/// document; the pair truncated longest-first to <c>MaxSequenceLength - 3</c> pieces (each piece removed from the front
/// or the back of the longer segment at random, as Google's <c>truncate_seq_pair</c>); <c>[CLS] A [SEP] B [SEP]</c> with
/// segment ids 0/1; <c>round(MaskedLmProbability × length)</c> pieces chosen for prediction (the length counts
/// <c>[CLS]</c> and the <c>[SEP]</c>s, rounded half to even as Python, at least 1, at most MaxPredictionsPerSequence; never <c>[CLS]</c>, <c>[SEP]</c>, <c>[PAD]</c> or
/// <c>[MASK]</c>), of which 80% become <c>[MASK]</c>, 10% a random normal piece and 10% stay.
/// </summary>
/// <remarks>
/// Each example is drawn independently: the start sentence uniformly among all sentences (among those with a
/// following sentence in their document when B must follow A), so that the next-sentence labels are balanced
/// whatever the document lengths. The generator is not thread-safe; <see cref="GetState"/> and
/// <see cref="RestoreState"/> save and resume its stream.
/// </remarks>
public sealed class PretrainingBatchGenerator
{
    private readonly int[][][] _documents;
    private readonly (int Document, int Sentence)[] _starts;
    private readonly (int Document, int Sentence)[] _pairStarts;
    private readonly PretrainingVocabulary _vocabulary;
    private readonly PretrainingBatchGeneratorOptions _options;
    private readonly Pcg64 _random;

    /// <summary>Creates a generator over a tokenized corpus.</summary>
    /// <param name="documents">Documents, each a list of sentences, each the piece ids of the sentence (no
    /// <c>[CLS]</c>/<c>[SEP]</c>). Empty sentences and empty documents are ignored.</param>
    /// <param name="vocabulary">The special ids and the normal pieces.</param>
    /// <param name="options">The settings (validated and copied); null for the defaults.</param>
    /// <exception cref="ArgumentException">The options are invalid, an id is outside the vocabulary, or the corpus
    /// cannot make the requested pairs (fewer than two documents for random next sentences, no document of two
    /// sentences for actual next sentences).</exception>
    public PretrainingBatchGenerator(IReadOnlyList<IReadOnlyList<int[]>> documents, PretrainingVocabulary vocabulary,
        PretrainingBatchGeneratorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(vocabulary);
        _options = (options ?? new PretrainingBatchGeneratorOptions()).Clone();
        _options.Validate();
        _vocabulary = vocabulary;
        _random = new Pcg64(unchecked((ulong)_options.Seed));

        var docs = new List<int[][]>();
        for (var d = 0; d < documents.Count; d++)
        {
            var sentences = new List<int[]>();
            var document = documents[d] ?? throw new ArgumentException($"Document {d} is null.", nameof(documents));
            for (var s = 0; s < document.Count; s++)
            {
                var sentence = document[s] ?? throw new ArgumentException($"Sentence {s} of document {d} is null.", nameof(documents));
                foreach (var id in sentence)
                {
                    if (id < 0 || id >= vocabulary.VocabSize)
                        throw new ArgumentException($"Sentence {s} of document {d} holds id {id}, outside the vocabulary [0, {vocabulary.VocabSize}).", nameof(documents));
                }
                if (sentence.Length > 0)
                    sentences.Add(sentence);
            }
            if (sentences.Count > 0)
                docs.Add(sentences.ToArray());
        }
        _documents = docs.ToArray();
        _starts = _documents.SelectMany((doc, d) => Enumerable.Range(0, doc.Length).Select(s => (d, s))).ToArray();
        _pairStarts = _documents.SelectMany((doc, d) => Enumerable.Range(0, doc.Length - 1).Select(s => (d, s))).ToArray();
        if (_options.RandomNextProbability > 0 && _documents.Length < 2)
            throw new ArgumentException($"Random next sentences need at least two non-empty documents; the corpus has {_documents.Length}. " +
                "Give more text, documents separated by an empty line, each of two or more sentences, one per line " +
                "(through the API, RandomNextProbability 0 also trains without random next sentences).", nameof(documents));
        if (_options.RandomNextProbability < 1 && _pairStarts.Length == 0)
            throw new ArgumentException("Actual next sentences need a document with at least two sentences; the corpus has none. " +
                "Put one sentence per line, with no empty line between the sentences of a document " +
                "(through the API, RandomNextProbability 1 also trains without actual next sentences).", nameof(documents));
    }

    /// <summary>The settings in use (a copy).</summary>
    public PretrainingBatchGeneratorOptions Options => _options.Clone();

    /// <summary>The number of non-empty documents.</summary>
    public int DocumentCount => _documents.Length;

    /// <summary>The number of non-empty sentences.</summary>
    public int SentenceCount => _starts.Length;

    /// <summary>The number of examples produced so far.</summary>
    public long ExamplesGenerated { get; private set; }

    /// <summary>A SHA-256 of the documents this generator draws from (their piece ids, document by document).</summary>
    internal string CorpusFingerprint() => PretrainingFingerprint.Hash(add =>
    {
        add("corpus-v1");
        foreach (var document in _documents)
        {
            add("document");
            foreach (var sentence in document)
                add(Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(sentence.AsSpan())));
        }
    });

    /// <summary>A SHA-256 of the options (seed included) and the vocabulary.</summary>
    internal string OptionsFingerprint() => PretrainingFingerprint.Hash(add =>
    {
        var o = _options;
        var v = _vocabulary;
        add(PretrainingFingerprint.Invariant("generator-v1", o.MaxSequenceLength, o.MaskedLmProbability, o.MaxPredictionsPerSequence,
            o.MaskTokenProbability, o.RandomTokenProbability, o.RandomNextProbability, o.ShortSequenceProbability, o.Seed,
            v.VocabSize, v.PadId, v.ClsId, v.SepId, v.MaskId, v.NormalCount));
    });

    /// <summary>The state to save for resuming (see <see cref="RestoreState"/>).</summary>
    public PretrainingBatchGeneratorState GetState() => new() { Random = _random.State, ExamplesGenerated = ExamplesGenerated };

    /// <summary>Continues from a state saved by <see cref="GetState"/> (of a generator over the same corpus and options).</summary>
    /// <exception cref="ArgumentException">The state is malformed.</exception>
    public void RestoreState(PretrainingBatchGeneratorState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.ExamplesGenerated < 0)
            throw new ArgumentException($"ExamplesGenerated must not be negative, not {state.ExamplesGenerated}.", nameof(state));
        _random.State = state.Random;
        ExamplesGenerated = state.ExamplesGenerated;
    }

    /// <summary>
    /// Makes the next batch of <paramref name="batchSize"/> examples, padded to its longest one rounded up to a multiple
    /// of 8 (never beyond <see cref="PretrainingBatchGeneratorOptions.MaxSequenceLength"/>; see <see cref="PretrainingBatch.Collate"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is not positive.</exception>
    public PretrainingBatch NextBatch(int batchSize) =>
        PretrainingBatch.Collate(NextExamples(batchSize), _vocabulary.PadId, _options.MaxSequenceLength);

    /// <summary>Makes the next <paramref name="count"/> examples.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not positive.</exception>
    public IReadOnlyList<PretrainingExample> NextExamples(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var list = new PretrainingExample[count];
        for (var i = 0; i < count; i++)
            list[i] = NextExample();
        return list;
    }

    /// <summary>Makes the next example.</summary>
    public PretrainingExample NextExample()
    {
        var maxTokens = _options.MaxSequenceLength - 3;
        var target = maxTokens;
        if (_random.NextDouble() < _options.ShortSequenceProbability)
            target = 2 + _random.NextInt(maxTokens - 1); // in [2, maxTokens]
        var isRandomNext = _random.NextDouble() < _options.RandomNextProbability;

        var a = new List<int>();
        var b = new List<int>();
        if (isRandomNext)
        {
            var (d, s) = _starts[_random.NextInt(_starts.Length)];
            var chunk = Chunk(d, s, target, minimumSentences: 1);
            var aEnd = chunk.Count >= 2 ? 1 + _random.NextInt(chunk.Count - 1) : 1;
            for (var i = 0; i < aEnd; i++) a.AddRange(chunk[i]);

            var other = _random.NextInt(_documents.Length - 1);
            if (other >= d) other++;
            var doc = _documents[other];
            var targetB = Math.Max(1, target - a.Count);
            for (var j = _random.NextInt(doc.Length); j < doc.Length && b.Count < targetB; j++)
                b.AddRange(doc[j]);
        }
        else
        {
            var (d, s) = _pairStarts[_random.NextInt(_pairStarts.Length)];
            var chunk = Chunk(d, s, target, minimumSentences: 2);
            var aEnd = 1 + _random.NextInt(chunk.Count - 1);
            for (var i = 0; i < chunk.Count; i++) (i < aEnd ? a : b).AddRange(chunk[i]);
        }
        TruncateLongestFirst(a, b, maxTokens);
        ExamplesGenerated++;
        return Mask(a, b, isRandomNext);
    }

    // Sentences from (d, s) on until the target length is reached (and at least minimumSentences), within the document.
    private List<int[]> Chunk(int d, int s, int target, int minimumSentences)
    {
        var doc = _documents[d];
        var chunk = new List<int[]>();
        var length = 0;
        for (var j = s; j < doc.Length && (length < target || chunk.Count < minimumSentences); j++)
        {
            chunk.Add(doc[j]);
            length += doc[j].Length;
        }
        return chunk;
    }

    // Google's truncate_seq_pair: until the pair fits, removes a piece of the longer segment (B on ties), the first or
    // the last one at random ("rng.random() < 0.5: del trunc_tokens[0] else pop()"), from this generator's seeded source.
    private void TruncateLongestFirst(List<int> a, List<int> b, int maxTokens)
    {
        while (a.Count + b.Count > maxTokens)
        {
            var longer = a.Count > b.Count ? a : b;
            longer.RemoveAt(_random.NextDouble() < 0.5 ? 0 : longer.Count - 1);
        }
    }

    private PretrainingExample Mask(List<int> a, List<int> b, bool isRandomNext)
    {
        var length = a.Count + b.Count + 3;
        var ids = new int[length];
        var types = new int[length];
        ids[0] = _vocabulary.ClsId;
        a.CopyTo(ids, 1);
        ids[a.Count + 1] = _vocabulary.SepId;
        b.CopyTo(ids, a.Count + 2);
        ids[length - 1] = _vocabulary.SepId;
        for (var i = a.Count + 2; i < length; i++)
            types[i] = 1;

        var candidates = new List<int>(length);
        for (var i = 1; i < length - 1; i++)
        {
            if (i != a.Count + 1 && !IsNeverMasked(ids[i]))
                candidates.Add(i);
        }
        // Google's num_to_predict = min(max_predictions_per_seq, max(1, int(round(len(tokens) * masked_lm_prob)))), where
        // tokens counts [CLS] and both [SEP]s and Python's round() rounds half to even; never more than the candidates.
        var count = (int)Math.Round(length * _options.MaskedLmProbability, MidpointRounding.ToEven);
        count = Math.Min(Math.Min(_options.MaxPredictionsPerSequence, Math.Max(1, count)), candidates.Count);

        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(candidates);
        for (var i = 0; i < count; i++) // partial Fisher-Yates: the first `count` are a uniform sample
        {
            var j = i + _random.NextInt(span.Length - i);
            (span[i], span[j]) = (span[j], span[i]);
        }
        var positions = span[..count].ToArray();
        Array.Sort(positions);
        var labels = new int[count];
        for (var k = 0; k < count; k++)
        {
            var p = positions[k];
            labels[k] = ids[p];
            var r = _random.NextDouble();
            if (r < _options.MaskTokenProbability)
                ids[p] = _vocabulary.MaskId;
            else if (r < _options.MaskTokenProbability + _options.RandomTokenProbability)
                ids[p] = _vocabulary.NormalId(_random.NextInt(_vocabulary.NormalCount));
        }
        return new PretrainingExample(ids, types, positions, labels, isRandomNext);
    }

    private bool IsNeverMasked(int id) =>
        id == _vocabulary.ClsId || id == _vocabulary.SepId || id == _vocabulary.PadId || id == _vocabulary.MaskId;
}
