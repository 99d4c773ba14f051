namespace Bert.Tokenization;

/// <summary>
/// The parts of a SentencePiece <c>.model</c> (a serialized <c>sentencepiece.ModelProto</c>) that encoding needs:
/// pieces with scores and types, the model type, byte fallback, and the normalizer spec with its precompiled
/// character map. Field numbers follow <c>sentencepiece_model.proto</c>; proto2 defaults apply to absent fields.
/// </summary>
internal sealed class SentencePieceModelProto
{
    public required string[] Pieces { get; init; }
    public required float[] Scores { get; init; }
    public required SentencePieceType[] Types { get; init; }
    public SentencePieceModelType ModelType { get; init; } = SentencePieceModelType.Unigram;
    public bool ByteFallback { get; init; }
    public bool TreatWhitespaceAsSuffix { get; init; }
    public string NormalizerName { get; init; } = "";
    public byte[] PrecompiledCharsMap { get; init; } = [];
    public bool AddDummyPrefix { get; init; } = true;
    public bool RemoveExtraWhitespaces { get; init; } = true;
    public bool EscapeWhitespaces { get; init; } = true;

    /// <summary>Parses a serialized ModelProto; <paramref name="source"/> names the file in error messages.</summary>
    public static SentencePieceModelProto Parse(ReadOnlySpan<byte> bytes, string source)
    {
        var pieces = new List<string>();
        var scores = new List<float>();
        var types = new List<SentencePieceType>();
        var modelType = SentencePieceModelType.Unigram;
        bool byteFallback = false, suffix = false;
        string name = "";
        byte[] charsMap = [];
        bool dummy = true, removeExtra = true, escape = true;

        var reader = new ProtoWireReader(bytes, $"'{source}' (SentencePiece model protobuf)");
        while (!reader.AtEnd)
        {
            var (field, wire) = reader.ReadTag();
            if (field == 1 && wire == 2)
            {
                var (piece, score, type) = ParsePiece(reader.ReadBytes(), source);
                pieces.Add(piece);
                scores.Add(score);
                types.Add(type);
            }
            else if (field == 2 && wire == 2)
            {
                var spec = new ProtoWireReader(reader.ReadBytes(), $"'{source}' (SentencePiece model protobuf)");
                while (!spec.AtEnd)
                {
                    var (f, w) = spec.ReadTag();
                    if (f == 3 && w == 0) modelType = (SentencePieceModelType)(int)spec.ReadVarint();
                    else if (f == 35 && w == 0) byteFallback = spec.ReadVarint() != 0;
                    else if (f == 24 && w == 0) suffix = spec.ReadVarint() != 0;
                    else spec.Skip(w);
                }
            }
            else if (field == 3 && wire == 2)
            {
                var spec = new ProtoWireReader(reader.ReadBytes(), $"'{source}' (SentencePiece model protobuf)");
                while (!spec.AtEnd)
                {
                    var (f, w) = spec.ReadTag();
                    if (f == 1 && w == 2) name = spec.ReadString();
                    else if (f == 2 && w == 2) charsMap = spec.ReadBytes().ToArray();
                    else if (f == 3 && w == 0) dummy = spec.ReadVarint() != 0;
                    else if (f == 4 && w == 0) removeExtra = spec.ReadVarint() != 0;
                    else if (f == 5 && w == 0) escape = spec.ReadVarint() != 0;
                    else spec.Skip(w);
                }
            }
            else
            {
                reader.Skip(wire);
            }
        }

        if (pieces.Count == 0)
            throw new InvalidDataException($"'{source}' is not a SentencePiece model: it holds no pieces.");
        if (!Enum.IsDefined(modelType))
            throw new InvalidDataException($"'{source}': unknown SentencePiece model type {(int)modelType}.");

        return new SentencePieceModelProto
        {
            Pieces = [.. pieces],
            Scores = [.. scores],
            Types = [.. types],
            ModelType = modelType,
            ByteFallback = byteFallback,
            TreatWhitespaceAsSuffix = suffix,
            NormalizerName = name,
            PrecompiledCharsMap = charsMap,
            AddDummyPrefix = dummy,
            RemoveExtraWhitespaces = removeExtra,
            EscapeWhitespaces = escape,
        };
    }

    private static (string Piece, float Score, SentencePieceType Type) ParsePiece(ReadOnlySpan<byte> bytes, string source)
    {
        var reader = new ProtoWireReader(bytes, $"'{source}' (SentencePiece model protobuf)");
        string piece = "";
        float score = 0;
        var type = SentencePieceType.Normal;
        while (!reader.AtEnd)
        {
            var (f, w) = reader.ReadTag();
            if (f == 1 && w == 2) piece = reader.ReadString();
            else if (f == 2 && w == 5) score = reader.ReadFloat();
            else if (f == 3 && w == 0) type = (SentencePieceType)(int)reader.ReadVarint();
            else reader.Skip(w);
        }
        if (!Enum.IsDefined(type))
            throw new InvalidDataException($"'{source}': piece '{piece}' has unknown type {(int)type}.");
        return (piece, score, type);
    }
}
