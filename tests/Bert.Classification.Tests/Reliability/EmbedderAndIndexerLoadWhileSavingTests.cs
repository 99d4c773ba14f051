using System.Globalization;
using Bert.Core.Embeddings;
using Bert.Core.Modeling;
using Bert.Core.Pretraining;
using Bert.Tokenization;

namespace Bert.Classification.Tests.Reliability;

/// <summary>
/// <see cref="TextEmbedder.Load(string, TextEmbedderOptions?)"/> and <see cref="BertIndexer.Load"/> of a Bert.NET save
/// (a saved classifier, a Hugging Face folder written by <see cref="BertPreTrainingCheckpoint.SaveHuggingFace"/>) read
/// one whole save, the one they verified, whatever save commits meanwhile, and refuse a file changed after saving by
/// name; the same folder without its manifest is read as it is, as before.
/// </summary>
public class EmbedderAndIndexerLoadWhileSavingTests
{
    private static readonly string[] Texts = [.. ToyData.Make(6, 7).Select(e => e.Text)];

    private static readonly TextEmbedderOptions Options = new() { Pooling = PoolingStrategy.MaskedMean, MaxSequenceLength = 64 };

    private static TextClassifier Classifier(int seed) =>
        new(ToyData.Model(ToyData.Indexer().VocabSize, seed), ToyData.Indexer(), ToyData.Labels, ToyData.SpmModel, 64);

    private static string Signature(TextEmbedder embedder) =>
        string.Join(" | ", embedder.EmbedBatch(Texts).Select(v => string.Join(",", v.Select(x => x.ToString("F4", CultureInfo.InvariantCulture)))));

    /// <summary>What an embedder loaded from <paramref name="folder"/> on its own computes.</summary>
    private static string EmbeddingsOf(string folder)
    {
        using var embedder = TextEmbedder.Load(folder, Options);
        return Signature(embedder);
    }

    /// <summary>Runs <paramref name="load"/> with <paramref name="save"/> committed right after the load took its snapshot.</summary>
    private static T LoadWhile<T>(Action save, Func<T> load)
        where T : class
    {
        bool saved = false;
        SaveSnapshot.TakenHook = _ =>
        {
            SaveSnapshot.TakenHook = null;
            save();
            saved = true;
        };
        try
        {
            var loaded = load();
            saved.Should().BeTrue("the load verifies the folder's save first, and the other save commits right after");
            return loaded;
        }
        finally
        {
            SaveSnapshot.TakenHook = null;
        }
    }

    [Fact]
    public void An_embedder_load_of_a_saved_classifier_reads_the_save_it_verified_and_refuses_a_changed_file()
    {
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "model");
        using var first = Classifier(seed: 1);
        using var second = Classifier(seed: 2);
        first.Save(Path.Combine(dir.Path, "first"));
        second.Save(Path.Combine(dir.Path, "second"));
        string expected = EmbeddingsOf(Path.Combine(dir.Path, "first"));
        EmbeddingsOf(Path.Combine(dir.Path, "second")).Should().NotBe(expected);
        first.Save(folder);

        using (var loaded = LoadWhile(() => second.Save(folder), () => TextEmbedder.Load(folder, Options)))
            Signature(loaded).Should().Be(expected, "the load reads the save it verified, not the one committed meanwhile");
        EmbeddingsOf(folder).Should().Be(EmbeddingsOf(Path.Combine(dir.Path, "second")), "the next load reads the new save");

        // A file changed after saving is named, not loaded (the change keeps it valid JSON, so only the manifest tells).
        File.AppendAllText(Path.Combine(folder, "config.json"), "\n");
        var changed = () => TextEmbedder.Load(folder, Options);
        changed.Should().Throw<InvalidDataException>().WithMessage("*config.json*changed after saving*");

        // Without its manifest the folder is a plain Hugging Face folder, read as it is.
        File.Delete(Path.Combine(folder, SaveManifest.FileName));
        EmbeddingsOf(folder).Should().Be(EmbeddingsOf(Path.Combine(dir.Path, "second")));
    }

    [Fact]
    public void Embedder_and_indexer_loads_of_a_saved_hugging_face_folder_read_the_save_they_verified()
    {
        using var dir = new TempDirectory();
        string folder = Path.Combine(dir.Path, "hf");
        var short32 = SentencePieceIndexer.Load(ToyData.SpmModel, new SentencePieceIndexerOptions { MaxSequenceLength = 32 });
        var long48 = SentencePieceIndexer.Load(ToyData.SpmModel, new SentencePieceIndexerOptions { MaxSequenceLength = 48 });
        using var first = new BertForPreTraining(new BertModelBuilder(ToyData.TinyConfig(short32.VocabSize)).WithSeed(1).Build());
        using var second = new BertForPreTraining(new BertModelBuilder(ToyData.TinyConfig(long48.VocabSize)).WithSeed(2).Build());
        BertPreTrainingCheckpoint.SaveHuggingFace(first, Path.Combine(dir.Path, "first"), short32);
        BertPreTrainingCheckpoint.SaveHuggingFace(second, Path.Combine(dir.Path, "second"), long48);
        string expected = EmbeddingsOf(Path.Combine(dir.Path, "first"));
        EmbeddingsOf(Path.Combine(dir.Path, "second")).Should().NotBe(expected);
        BertPreTrainingCheckpoint.SaveHuggingFace(first, folder, short32);

        using (var loaded = LoadWhile(() => BertPreTrainingCheckpoint.SaveHuggingFace(second, folder, long48), () => TextEmbedder.Load(folder, Options)))
            Signature(loaded).Should().Be(expected, "the load reads the save it verified");
        EmbeddingsOf(folder).Should().Be(EmbeddingsOf(Path.Combine(dir.Path, "second")));

        BertPreTrainingCheckpoint.SaveHuggingFace(first, folder, short32);
        var indexer = LoadWhile(() => BertPreTrainingCheckpoint.SaveHuggingFace(second, folder, long48), () => BertIndexer.Load(folder));
        indexer.MaxSequenceLength.Should().Be(32, "the tokenizer of the save the load verified (model_max_length 32), not of the one committed meanwhile (48)");
        BertIndexer.Load(folder).MaxSequenceLength.Should().Be(48, "the next load reads the new save");
    }

    [Fact]
    public void An_embedder_load_of_a_saved_tensorflow_checkpoint_reads_the_data_files_it_verified_after_a_later_save_removed_them()
    {
        using var dir = new TempDirectory();
        var indexer = ToyData.Indexer();
        using var first = new BertForPreTraining(new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(1).Build());
        using var second = new BertForPreTraining(new BertModelBuilder(ToyData.TinyConfig(indexer.VocabSize)).WithSeed(2).Build());
        string Saved(string name, BertForPreTraining model, long step)
        {
            string folder = Path.Combine(dir.Path, name);
            BertPreTrainingCheckpoint.SaveTensorFlow(model, folder, step);
            File.Copy(ToyData.SpmModel, Path.Combine(folder, "spiece.model"), overwrite: true); // the tokenizer, put beside the save by hand
            return folder;
        }
        string expected = EmbeddingsOf(Saved("first", first, 1));
        EmbeddingsOf(Saved("second", second, 2)).Should().NotBe(expected);
        string tf = Saved("tf", first, 1);

        // The later save (step 2) removes model.ckpt-1.* and replaces bert_config.json while the load holds them.
        using (var loaded = LoadWhile(() => BertPreTrainingCheckpoint.SaveTensorFlow(second, tf, 2), () => TextEmbedder.Load(tf, Options)))
            Signature(loaded).Should().Be(expected, "the load reads the checkpoint it verified");
        File.Exists(Path.Combine(tf, "model.ckpt-1.index")).Should().BeFalse();
        EmbeddingsOf(tf).Should().Be(EmbeddingsOf(Path.Combine(dir.Path, "second")));
    }

    [Fact]
    public void An_indexer_load_of_a_saved_folder_refuses_a_changed_tokenizer_file_by_name_and_reads_it_without_a_manifest()
    {
        using var dir = new TempDirectory();
        using var classifier = Classifier(seed: 3);
        classifier.Save(dir.Path);
        BertIndexer.Load(dir.Path).TokenizeToIds(Texts[0]).Should().Equal(classifier.Indexer.TokenizeToIds(Texts[0]));

        File.AppendAllText(Path.Combine(dir.Path, "tokenizer_config.json"), "\n");
        var changed = () => BertIndexer.Load(dir.Path);
        changed.Should().Throw<InvalidDataException>().WithMessage("*tokenizer_config.json*changed after saving*");
        var withOptions = () => BertIndexer.Load(dir.Path, new SentencePieceIndexerOptions { MaxSequenceLength = 64 });
        withOptions.Should().Throw<InvalidDataException>().WithMessage("*tokenizer_config.json*changed after saving*");

        File.Delete(Path.Combine(dir.Path, SaveManifest.FileName));
        BertIndexer.Load(dir.Path).TokenizeToIds(Texts[0]).Should().Equal(classifier.Indexer.TokenizeToIds(Texts[0]));
    }
}
