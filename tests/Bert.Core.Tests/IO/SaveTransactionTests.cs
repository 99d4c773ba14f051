using System.Text;
using Bert.Core.IO;
using Bert.Tokenization;

namespace Bert.Core.Tests.IO;

/// <summary>
/// The save contract at file level: only owned files are written, a crash at every step of a commit leaves the
/// previous or the new save readable (and the next save finishes it), changed files are reported by name.
/// </summary>
public class SaveTransactionTests : IDisposable
{
    private const string Kind = "test";

    private readonly string dir = Directory.CreateTempSubdirectory("bert-save-").FullName;

    public void Dispose()
    {
        SaveTransaction.StepHook = null;
        Directory.Delete(dir, recursive: true);
    }

    private static readonly string[] Steps =
        ["before-journal", "journal", "renamed:a.txt", "renamed:b.bin", "renamed", "cleaned"];

    private void SaveVersion(string version, bool withOld = false, string? crashAt = null)
    {
        SaveTransaction.StepHook = step =>
        {
            if (step == crashAt) throw new SimulatedCrash(step);
        };
        try
        {
            using var save = SaveTransaction.Begin(dir, Kind, "test");
            save.WriteText("a.txt", "a " + version);
            save.Write("b.bin", s => s.Write(Encoding.UTF8.GetBytes(new string('b', 1000) + version)));
            if (withOld) save.WriteText("old.txt", "only in " + version);
            save.Commit();
        }
        catch (SimulatedCrash)
        {
        }
        finally
        {
            SaveTransaction.StepHook = null;
        }
    }

    private string? ReadVersion()
    {
        using var snapshot = SaveSnapshot.Take(dir);
        if (snapshot is null) return null;
        string a = BoundedFile.ReadAllText(snapshot.Paths["a.txt"], 1 << 20, "a")[2..];
        string b = BoundedFile.ReadAllText(snapshot.Paths["b.bin"], 1 << 20, "b")[1000..];
        a.Should().Be(b, "a.txt and b.bin must come from the same save");
        return a;
    }

    [Fact]
    public void Files_the_save_does_not_own_are_left_byte_identical()
    {
        var userFiles = new Dictionary<string, byte[]>
        {
            ["notes.txt"] = Encoding.UTF8.GetBytes("mine"),
            ["config.json"] = Encoding.UTF8.GetBytes("{\"user\": true}"),
            [Path.Combine("sub", "data.bin")] = [1, 2, 3],
        };
        Directory.CreateDirectory(Path.Combine(dir, "sub"));
        foreach (var (name, bytes) in userFiles) File.WriteAllBytes(Path.Combine(dir, name), bytes);

        SaveVersion("1", withOld: true);
        SaveVersion("2");

        foreach (var (name, bytes) in userFiles)
            File.ReadAllBytes(Path.Combine(dir, name)).Should().Equal(bytes, name);
        ReadVersion().Should().Be("2");
        File.Exists(Path.Combine(dir, "old.txt")).Should().BeFalse("a file the previous save owned, unchanged, goes with it");
        Directory.GetFiles(dir, ".bert_net-*").Should().BeEmpty();
    }

    [Fact]
    public void A_file_of_an_earlier_save_that_the_user_changed_is_kept()
    {
        SaveVersion("1", withOld: true);
        File.WriteAllText(Path.Combine(dir, "old.txt"), "edited by the user");
        SaveVersion("2");
        File.ReadAllText(Path.Combine(dir, "old.txt")).Should().Be("edited by the user");
    }

    [Fact]
    public void A_crash_at_every_step_of_a_commit_leaves_the_previous_or_the_new_save()
    {
        foreach (var step in Steps)
        {
            foreach (var f in Directory.GetFiles(dir)) File.Delete(f);
            SaveVersion("1");
            SaveVersion("2", crashAt: step);
            string expected = step == "before-journal" ? "1" : "2";
            ReadVersion().Should().Be(expected, $"after a crash at '{step}'");

            SaveVersion("3"); // the next save finishes or discards what the crash left
            ReadVersion().Should().Be("3", $"after a crash at '{step}' and another save");
            Directory.GetFiles(dir, ".bert_net-*").Should().BeEmpty($"after a crash at '{step}' and another save");
            File.Exists(Path.Combine(dir, SaveManifest.PendingName)).Should().BeFalse();
        }
    }

    [Fact]
    public void A_changed_or_missing_file_is_reported_by_name()
    {
        SaveVersion("1");
        var b = Path.Combine(dir, "b.bin");
        var bytes = File.ReadAllBytes(b);
        bytes[10] ^= 1;
        File.WriteAllBytes(b, bytes);
        var changed = () => SaveSnapshot.Take(dir)?.Dispose();
        changed.Should().Throw<InvalidDataException>().WithMessage("*b.bin*SHA-256*");

        File.WriteAllText(b, "short");
        changed.Should().Throw<InvalidDataException>().WithMessage("*b.bin*bytes*");

        File.Delete(b);
        changed.Should().Throw<InvalidDataException>().WithMessage("*b.bin*missing*");
    }

    [Fact]
    public void Another_process_holding_the_folder_is_named_and_nothing_is_written()
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, FolderLock.OwnerName), "process 42 (bert), training\n");
        // A second open file description with FileShare.None stands for another process (flock is per description).
        using (new FileStream(Path.Combine(dir, FolderLock.LockName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var begin = () => SaveTransaction.Begin(dir, Kind, "test");
            begin.Should().Throw<IOException>().WithMessage("*in use by process 42 (bert), training*");
        }
        File.Exists(Path.Combine(dir, SaveManifest.FileName)).Should().BeFalse();
        SaveVersion("1");
        ReadVersion().Should().Be("1");
    }

    [Fact]
    public void Names_that_are_not_plain_file_names_are_refused()
    {
        using var save = SaveTransaction.Begin(dir, Kind, "test");
        foreach (var bad in new[] { "../x", "a/b", "", SaveManifest.FileName, FolderLock.LockName, ".bert_net-x" })
        {
            var write = () => save.WriteText(bad, "x");
            write.Should().Throw<ArgumentException>(bad);
        }
    }

    [Fact]
    public void A_device_or_a_link_is_never_replaced()
    {
        if (!OperatingSystem.IsLinux()) return;
        var device = () => AtomicFile.WriteAllText("/dev/null", "x");
        device.Should().Throw<IOException>().WithMessage("*/dev/null*not a regular file*");
        File.ResolveLinkTarget("/dev/null", false).Should().BeNull();

        string target = Path.Combine(dir, "target.txt");
        File.WriteAllText(target, "kept");
        string link = Path.Combine(dir, "link.txt");
        File.CreateSymbolicLink(link, target);
        var viaLink = () => AtomicFile.WriteAllText(link, "x");
        viaLink.Should().Throw<IOException>().WithMessage("*symbolic link*");
        File.ReadAllText(target).Should().Be("kept");

        using var save = SaveTransaction.Begin(dir, Kind, "test");
        var inSave = () => save.WriteText("link.txt", "x");
        inSave.Should().Throw<IOException>();
    }

    [Fact]
    public void A_save_of_another_kind_is_refused_naming_the_folder_and_what_it_holds_and_both_kinds_files_stay()
    {
        SaveVersion("1", withOld: true);
        var before = Directory.GetFiles(dir).ToDictionary(f => f, File.ReadAllBytes);

        var other = () =>
        {
            using var save = SaveTransaction.Begin(dir, SaveKind.OnnxServing, "exporting");
            save.WriteText("serving.json", "{}");
            save.Commit();
        };
        other.Should().Throw<IOException>().WithMessage($"'{dir}' holds a test save (bert_net_manifest.json lists a.txt, b.bin, old.txt); an ONNX serving export cannot be saved into it*");

        Directory.GetFiles(dir).ToDictionary(f => f, File.ReadAllBytes).Should().BeEquivalentTo(before, "nothing is written or removed");
        ReadVersion().Should().Be("1");
        SaveManifest.ReadContents(Path.Combine(dir, SaveManifest.FileName)).Kind.Should().Be(Kind);
    }

    [Fact]
    public void A_manifest_without_a_kind_is_replaced_only_when_this_save_writes_all_of_its_files()
    {
        // An earlier version's manifest: no kind. Its files might belong to another kind of save, so none is removed.
        SaveVersion("1", withOld: true);
        string manifest = Path.Combine(dir, SaveManifest.FileName);
        File.WriteAllText(manifest, SaveManifest.ToJson(null, SaveManifest.Read(manifest), withTemp: false));
        ReadVersion().Should().Be("1", "a manifest without a kind still loads");

        var dropsOld = () => SaveVersion("2");
        dropsOld.Should().Throw<IOException>().WithMessage($"'{dir}' holds a save of an earlier Bert.NET version*old.txt are not part of this save*nothing was changed*");
        ReadVersion().Should().Be("1");
        File.Exists(Path.Combine(dir, "old.txt")).Should().BeTrue();
        Directory.GetFiles(dir).Select(Path.GetFileName).Should().NotContain(n => SaveManifest.IsTemporaryName(n!));

        SaveVersion("3", withOld: true); // writes every file the old manifest lists
        ReadVersion().Should().Be("3");
        SaveManifest.ReadContents(manifest).Kind.Should().Be(Kind);
        SaveVersion("4");
        File.Exists(Path.Combine(dir, "old.txt")).Should().BeFalse("now the previous save's kind is known");
    }

    [Fact]
    public void A_second_writer_in_the_same_process_fails_at_once_naming_the_first_and_deletes_nothing_of_it()
    {
        using (var first = SaveTransaction.Begin(dir, Kind, "saving the first"))
        {
            first.WriteText("a.txt", "first");
            string temp = Directory.GetFiles(dir).Single(f => SaveManifest.IsTemporaryName(Path.GetFileName(f)));

            // Another thread, and the same thread again: both are a second writer.
            Exception? fromThread = null;
            var thread = new Thread(() =>
            {
                try
                {
                    SaveTransaction.Begin(dir, Kind, "saving the second").Dispose();
                }
                catch (Exception ex)
                {
                    fromThread = ex;
                }
            });
            thread.Start();
            thread.Join();
            fromThread.Should().BeOfType<IOException>().Which.Message.Should().Match($"'{dir}' is in use by process {Environment.ProcessId} *saving the first*");
            var sameThread = () => FolderLock.Acquire(dir, "training");
            sameThread.Should().Throw<IOException>().WithMessage("*in use by*saving the first*");

            File.Exists(temp).Should().BeTrue("the second writer must not clean the first one's temporaries");
            first.WriteText("b.bin", "x");
            first.Commit();
        }
        File.ReadAllText(Path.Combine(dir, "a.txt")).Should().Be("first");
        SaveVersion("2"); // released on commit
        ReadVersion().Should().Be("2");
    }

    [Fact]
    public void Only_the_exact_temporary_names_of_a_save_are_cleaned()
    {
        var mine = new[] { ".bert_net-mine.txt", ".bert_net-0123456789ab", ".bert_net-0123456789AB.x", ".bert_net-0123456789a.x" };
        foreach (var name in mine) File.WriteAllText(Path.Combine(dir, name), "the user's");
        string stale = Path.Combine(dir, ".bert_net-0123456789ab.a.txt"); // what a killed save leaves
        File.WriteAllText(stale, "stale");

        SaveVersion("1");
        SaveVersion("2");

        foreach (var name in mine) File.ReadAllText(Path.Combine(dir, name)).Should().Be("the user's", name);
        File.Exists(stale).Should().BeFalse();
        SaveManifest.IsTemporaryName(".bert_net-0123456789ab.a.txt").Should().BeTrue();
        foreach (var name in mine) SaveManifest.IsTemporaryName(name).Should().BeFalse(name);
    }

    [Theory]
    [InlineData("renamed")]
    [InlineData("journal")]
    [InlineData("renamed:a.txt")]
    public void A_save_killed_before_its_clean_up_has_the_clean_up_finished_by_the_next_save(string crashAt)
    {
        SaveVersion("1", withOld: true);
        SaveVersion("2", crashAt: crashAt);
        File.Exists(Path.Combine(dir, SaveManifest.PendingName)).Should().BeTrue();

        using (SaveTransaction.Begin(dir, Kind, "recovering")) { } // finishes the killed save, writes nothing
        File.Exists(Path.Combine(dir, "old.txt")).Should().BeFalse("the killed save would have removed it");
        ReadVersion().Should().Be("2");
        SaveManifest.Read(Path.Combine(dir, SaveManifest.FileName)).Select(e => e.Name).Should().Equal("a.txt", "b.bin");
    }

    [Fact]
    public void The_recovery_keeps_a_replaced_file_the_user_changed_in_between()
    {
        SaveVersion("1", withOld: true);
        SaveVersion("2", crashAt: "renamed");
        File.WriteAllText(Path.Combine(dir, "old.txt"), "edited");
        SaveVersion("3");
        File.ReadAllText(Path.Combine(dir, "old.txt")).Should().Be("edited");
    }

    [Fact]
    public void A_folder_scan_never_sees_a_temporary_and_sees_a_pending_save_as_committed()
    {
        SaveVersion("1");
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "mine");
        SaveVersion("2", crashAt: "journal"); // pending: a.txt and b.bin of version 2 are still at their temporaries

        var scanned = SaveManifest.Scan(dir, "*.txt");
        scanned.Select(Path.GetFileName).Should().HaveCount(2).And.Contain("notes.txt");
        string a = scanned.Single(p => Path.GetFileName(p) != "notes.txt");
        SaveManifest.IsTemporaryName(Path.GetFileName(a)).Should().BeTrue("a.txt of the pending save is read from its temporary");
        File.ReadAllText(a).Should().Be("a 2");
    }

    private sealed class SimulatedCrash(string step) : Exception("simulated crash at " + step);
}
