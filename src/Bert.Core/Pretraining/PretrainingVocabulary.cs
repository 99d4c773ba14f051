using Bert.Tokenization;

namespace Bert.Core.Pretraining;

/// <summary>
/// What batch generation needs to know about the vocabulary: the ids of <c>[PAD]</c>, <c>[CLS]</c>, <c>[SEP]</c> and
/// <c>[MASK]</c>, the vocabulary size, and which ids are control symbols that are never masked and never drawn as the
/// "random piece" of the 10% random replacements.
/// </summary>
public sealed class PretrainingVocabulary
{
    private readonly bool[] _special;
    private readonly int[] _normalIds;

    /// <summary>Creates the vocabulary description.</summary>
    /// <param name="vocabSize">The number of ids (the model's <c>vocab_size</c>).</param>
    /// <param name="padId">The id of <c>[PAD]</c>.</param>
    /// <param name="clsId">The id of <c>[CLS]</c>.</param>
    /// <param name="sepId">The id of <c>[SEP]</c>.</param>
    /// <param name="maskId">The id of <c>[MASK]</c>.</param>
    /// <param name="otherSpecialIds">Further ids that are not normal pieces (for example <c>&lt;unk&gt;</c>,
    /// <c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>); they are excluded from random replacement.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, vocabSize).</exception>
    /// <exception cref="ArgumentException">The four token ids are not distinct, or no normal piece is left.</exception>
    public PretrainingVocabulary(int vocabSize, int padId, int clsId, int sepId, int maskId, IEnumerable<int>? otherSpecialIds = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabSize);
        CheckId(padId, vocabSize, nameof(padId));
        CheckId(clsId, vocabSize, nameof(clsId));
        CheckId(sepId, vocabSize, nameof(sepId));
        CheckId(maskId, vocabSize, nameof(maskId));
        if (new HashSet<int> { padId, clsId, sepId, maskId }.Count != 4)
            throw new ArgumentException($"[PAD] {padId}, [CLS] {clsId}, [SEP] {sepId} and [MASK] {maskId} must be four different ids.");
        VocabSize = vocabSize;
        PadId = padId;
        ClsId = clsId;
        SepId = sepId;
        MaskId = maskId;
        _special = new bool[vocabSize];
        _special[padId] = _special[clsId] = _special[sepId] = _special[maskId] = true;
        foreach (var id in otherSpecialIds ?? [])
        {
            CheckId(id, vocabSize, nameof(otherSpecialIds));
            _special[id] = true;
        }
        _normalIds = Enumerable.Range(0, vocabSize).Where(i => !_special[i]).ToArray();
        if (_normalIds.Length == 0)
            throw new ArgumentException("Every id is a special symbol: there is no normal piece to draw random replacements from.", nameof(otherSpecialIds));
    }

    /// <summary>The number of ids.</summary>
    public int VocabSize { get; }

    /// <summary>The id of <c>[PAD]</c>, used for dynamic padding.</summary>
    public int PadId { get; }

    /// <summary>The id of <c>[CLS]</c>, the first token of every sequence.</summary>
    public int ClsId { get; }

    /// <summary>The id of <c>[SEP]</c>, after each segment.</summary>
    public int SepId { get; }

    /// <summary>The id of <c>[MASK]</c>, which replaces 80% of the pieces chosen for prediction.</summary>
    public int MaskId { get; }

    /// <summary>The number of normal pieces (drawn uniformly for the random replacements).</summary>
    public int NormalCount => _normalIds.Length;

    /// <summary>True for <c>[PAD]</c>, <c>[CLS]</c>, <c>[SEP]</c>, <c>[MASK]</c> and the other special ids.</summary>
    public bool IsSpecial(int id) => (uint)id < (uint)VocabSize && _special[id];

    /// <summary>
    /// The vocabulary of an indexer: its four token ids, and as further special ids its unknown id and every piece
    /// written like a control symbol (<c>&lt;s&gt;</c>, <c>&lt;/s&gt;</c>, <c>[UNUSED]</c>-style <c>[...]</c>, byte pieces
    /// <c>&lt;0xE3&gt;</c>).
    /// </summary>
    /// <param name="indexer">The indexer the corpus was tokenized with.</param>
    public static PretrainingVocabulary FromIndexer(IBertIndexer indexer)
    {
        ArgumentNullException.ThrowIfNull(indexer);
        var others = new List<int> { indexer.UnkId };
        for (var id = 0; id < indexer.VocabSize; id++)
        {
            var piece = indexer.IdToPiece(id);
            if (piece.Length > 2 && ((piece[0] == '<' && piece[^1] == '>') || (piece[0] == '[' && piece[^1] == ']')))
                others.Add(id);
        }
        return new PretrainingVocabulary(indexer.VocabSize, indexer.PadId, indexer.ClsId, indexer.SepId, indexer.MaskId, others);
    }

    internal int NormalId(int index) => _normalIds[index];

    private static void CheckId(int id, int vocabSize, string name)
    {
        if (id < 0 || id >= vocabSize)
            throw new ArgumentOutOfRangeException(name, id, $"Token id must be in [0, {vocabSize}).");
    }
}
