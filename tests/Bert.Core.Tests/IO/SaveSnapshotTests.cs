using System.Diagnostics;
using System.Text;
using Bert.Core.IO;
using Bert.Tokenization;

namespace Bert.Core.Tests.IO;

/// <summary>
/// A loader reads one whole save: the files of a snapshot are the files it verified, whatever saves commit while it
/// is held (also in the middle of a commit, journal written and files half renamed); a changed file is reported at
/// once when no save runs, and waited for while one does.
/// </summary>
public class SaveSnapshotTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("bert-snapshot-").FullName;

    public void Dispose()
    {
        SaveTransaction.StepHook = null;
        SaveSnapshot.WaitForSave = TimeSpan.FromSeconds(30);
        Directory.Delete(dir, recursive: true);
    }

    private void Save(string version, Action<string>? step = null)
    {
        SaveTransaction.StepHook = step;
        try
        {
            using var save = SaveTransaction.Begin(dir, "test", "test");
            save.WriteText("a.txt", "a " + version);
            save.Write("b.bin", s => s.Write(Encoding.UTF8.GetBytes(new string('b', 1000) + version)));
            save.Commit();
        }
        finally
        {
            SaveTransaction.StepHook = null;
        }
    }

    /// <summary>The version a snapshot reads, through the paths it gives (as the parsers read them), checking that both files agree.</summary>
    private static string Read(SaveSnapshot snapshot)
    {
        string a = BoundedFile.ReadAllText(snapshot.Paths["a.txt"], 1 << 20, "a")[2..];
        byte[] b;
        using (var stream = SaveSnapshot.OpenRead(snapshot.Paths["b.bin"]))
            b = BoundedFile.ReadAllBytes(stream, 1 << 20, "b");
        string fromB = Encoding.UTF8.GetString(b)[1000..];
        a.Should().Be(fromB, "a.txt and b.bin must come from the same save");
        return a;
    }

    [Fact]
    public void A_snapshot_reads_the_save_it_verified_after_another_save_replaced_its_files()
    {
        Save("1");
        using (var snapshot = SaveSnapshot.Take(dir)!)
        {
            Save("2");
            Read(snapshot).Should().Be("1", "the snapshot holds the files it verified; the second save renamed new ones over their names");
            SaveSnapshot.FileExists(snapshot.Paths["b.bin"]).Should().BeTrue();
        }
        using var after = SaveSnapshot.Take(dir)!;
        Read(after).Should().Be("2");
    }

    [Fact]
    public void A_snapshot_taken_at_any_step_of_a_commit_reads_one_whole_save()
    {
        string[] steps = ["before-journal", "journal", "renamed:a.txt", "renamed:b.bin", "renamed", "cleaned"];
        foreach (var step in steps)
        {
            Save("1");
            SaveSnapshot? taken = null;
            // A loader takes its snapshot in the middle of the commit of save 2 (journal written, files half renamed)...
            Save("2", s =>
            {
                if (s == step) taken = SaveSnapshot.Take(dir);
            });
            taken.Should().NotBeNull(step);
            using (taken)
            {
                // ...and reads after that commit and a third save have renamed everything it listed.
                Save("3");
                Read(taken!).Should().Be(step == "before-journal" ? "1" : "2", $"a snapshot taken at '{step}'");
            }
        }
    }

    [Fact]
    public void A_file_changed_after_saving_is_reported_at_once_when_no_save_runs()
    {
        Save("1");
        File.WriteAllText(Path.Combine(dir, "b.bin"), new string('b', 1000) + "x");
        var clock = Stopwatch.StartNew();
        var take = () => SaveSnapshot.Take(dir);
        take.Should().Throw<InvalidDataException>().WithMessage("*b.bin*SHA-256*changed after saving*");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "nothing is waited for when no save holds the folder");
    }

    [Fact]
    public async Task While_a_save_holds_the_folder_a_mismatch_is_taken_again_until_it_resolves_or_the_wait_ends()
    {
        Save("1");
        var b = Path.Combine(dir, "b.bin");
        var good = File.ReadAllBytes(b);
        using (FolderLock.Acquire(dir, "a test standing for a save being committed"))
        {
            File.WriteAllText(b, "half");
            var loading = Task.Run(() => SaveSnapshot.Take(dir));
            Thread.Sleep(300);
            loading.IsCompleted.Should().BeFalse("a mismatch while a save holds the folder is waited for");
            File.WriteAllBytes(b, good);
            using var snapshot = await loading.WaitAsync(TimeSpan.FromSeconds(20));
            snapshot.Should().NotBeNull();
            Read(snapshot!).Should().Be("1");

            SaveSnapshot.WaitForSave = TimeSpan.FromMilliseconds(300);
            File.WriteAllText(b, "half");
            var take = () => SaveSnapshot.Take(dir);
            take.Should().Throw<InvalidDataException>().WithMessage("*b.bin*bytes*");
        }
    }

    [Fact]
    public void Lookups_by_name_under_a_snapshot_see_its_save_and_files_no_save_lists_but_not_what_a_later_save_added()
    {
        Save("1");
        File.WriteAllText(Path.Combine(dir, "mine.txt"), "put here by hand");
        string[] TextFiles() => [.. SaveManifest.Scan(dir, "*.txt").Select(Path.GetFileName)!];
        using (var snapshot = SaveSnapshot.Take(dir)!)
        {
            using (var save = SaveTransaction.Begin(dir, "test", "test"))
            {
                save.WriteText("a.txt", "a 2");
                save.Write("b.bin", s => s.Write(Encoding.UTF8.GetBytes(new string('b', 1000) + "2")));
                save.WriteText("c.txt", "c 2");
                save.Commit();
            }
            TextFiles().Should().Equal(["a.txt", "mine.txt"], "c.txt belongs to the save committed after the snapshot");
            SaveSnapshot.FileIn(dir, "c.txt").Should().BeNull();
            SaveSnapshot.FileIn(dir, "mine.txt").Should().Be(Path.Combine(dir, "mine.txt"));
            BoundedFile.ReadAllText(SaveSnapshot.FileIn(dir, "a.txt")!, 100, "a").Should().Be("a 1");
        }
        TextFiles().Should().Equal("a.txt", "c.txt", "mine.txt");
        SaveSnapshot.FileIn(dir, "c.txt").Should().Be(Path.Combine(dir, "c.txt"));
    }

    [Fact]
    public void A_folder_without_a_manifest_has_no_snapshot_and_reads_go_to_the_folder()
    {
        File.WriteAllText(Path.Combine(dir, "config.json"), "{}");
        SaveSnapshot.Take(dir).Should().BeNull();
        BoundedFile.ReadAllText(Path.Combine(dir, "config.json"), 100, "config").Should().Be("{}");
    }

    [Fact]
    public void Taking_a_snapshot_writes_nothing_so_a_read_only_folder_loads()
    {
        Save("1");
        var before = Directory.GetFiles(dir).Select(f => (f, File.GetLastWriteTimeUtc(f))).ToList();
        if (!OperatingSystem.IsWindows())
        {
            foreach (var f in Directory.GetFiles(dir)) File.SetUnixFileMode(f, UnixFileMode.UserRead);
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        try
        {
            using var snapshot = SaveSnapshot.Take(dir)!;
            Read(snapshot).Should().Be("1");
        }
        finally
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                foreach (var f in Directory.GetFiles(dir)) File.SetUnixFileMode(f, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        Directory.GetFiles(dir).Select(f => (f, File.GetLastWriteTimeUtc(f))).Should().BeEquivalentTo(before);
    }
}
