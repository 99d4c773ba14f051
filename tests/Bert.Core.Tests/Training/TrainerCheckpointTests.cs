using Bert.Core.IO;
using Bert.Core.Training;
using Bert.Tokenization;

namespace Bert.Core.Tests.Training;

/// <summary>Deleting a training checkpoint removes the checkpoint's own files and nothing of the caller's.</summary>
public class TrainerCheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("bert-checkpoint-").FullName;

    private string Folder => Path.Combine(dir, TrainerCheckpoint.Folder);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private void WriteCheckpoint(string kind = TrainerCheckpoint.Classification)
    {
        using var save = SaveTransaction.Begin(Folder, SaveKind.TrainingCheckpoint(kind), "test");
        save.WriteText(TrainerCheckpoint.ModelFile, "weights");
        save.WriteText(TrainerCheckpoint.OptimizerFile, "moments");
        save.WriteText(TrainerCheckpoint.StateFile, "{}");
        save.Commit();
    }

    [Fact]
    public void Only_the_files_of_the_checkpoint_go_and_the_callers_folder_stays()
    {
        WriteCheckpoint();
        File.WriteAllText(Path.Combine(Folder, "my-notes.txt"), "mine");
        File.WriteAllText(Path.Combine(Folder, ".bert_net-0123456789ab.model.safetensors"), "a killed save's temporary");

        TrainerCheckpoint.Delete(dir);

        Directory.GetFiles(Folder).Select(Path.GetFileName).Should().Equal("my-notes.txt");
        TrainerCheckpoint.Exists(dir).Should().BeFalse();
    }

    [Fact]
    public void An_emptied_checkpoint_folder_goes_but_never_the_run_directory_itself()
    {
        WriteCheckpoint();
        TrainerCheckpoint.Delete(dir);
        Directory.Exists(Folder).Should().BeFalse();
        Directory.Exists(dir).Should().BeTrue("the caller's CheckpointDirectory is the caller's");
        Directory.EnumerateFileSystemEntries(dir).Should().BeEmpty("the lock files go too");

        TrainerCheckpoint.Delete(dir); // nothing there: nothing to do
        Directory.Exists(dir).Should().BeTrue();
    }

    [Fact]
    public void A_checkpoint_folder_without_a_checkpoint_is_refused_and_nothing_is_deleted()
    {
        Directory.CreateDirectory(Folder);
        File.WriteAllText(Path.Combine(Folder, "photo.jpg"), "the user's");
        var act = () => TrainerCheckpoint.Delete(dir);
        act.Should().Throw<IOException>().WithMessage($"'{Folder}' holds no Bert.NET training checkpoint (no bert_net_manifest.json) but other files (photo.jpg); nothing was deleted.");
        File.ReadAllText(Path.Combine(Folder, "photo.jpg")).Should().Be("the user's");
    }

    [Fact]
    public void A_save_of_another_kind_in_the_checkpoint_folder_is_refused()
    {
        using (var save = SaveTransaction.Begin(Folder, SaveKind.Classifier, "test"))
        {
            save.WriteText("config.json", "{}");
            save.Commit();
        }
        var act = () => TrainerCheckpoint.Delete(dir);
        act.Should().Throw<IOException>().WithMessage($"'{Folder}' holds a saved classifier (bert_net_manifest.json lists config.json), not a training checkpoint; nothing was deleted.");
        File.Exists(Path.Combine(Folder, "config.json")).Should().BeTrue();
    }

    [Fact]
    public void A_run_holding_the_folder_in_this_process_makes_the_delete_fail()
    {
        WriteCheckpoint();
        using (FolderLock.Acquire(dir, "training a classifier"))
        {
            var act = () => TrainerCheckpoint.Delete(dir);
            act.Should().Throw<IOException>().WithMessage("*in use by*training a classifier*");
        }
        TrainerCheckpoint.Exists(dir).Should().BeTrue();
    }
}
