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
            using var save = SaveTransaction.Begin(dir, "test");
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
        var files = SaveManifest.Resolve(dir);
        if (files is null) return null;
        string a = File.ReadAllText(files["a.txt"])[2..];
        string b = File.ReadAllText(files["b.bin"])[1000..];
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
        var changed = () => SaveManifest.Resolve(dir);
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
            var begin = () => SaveTransaction.Begin(dir, "test");
            begin.Should().Throw<IOException>().WithMessage("*in use by process 42 (bert), training*");
        }
        File.Exists(Path.Combine(dir, SaveManifest.FileName)).Should().BeFalse();
        SaveVersion("1");
        ReadVersion().Should().Be("1");
    }

    [Fact]
    public void Names_that_are_not_plain_file_names_are_refused()
    {
        using var save = SaveTransaction.Begin(dir, "test");
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

        using var save = SaveTransaction.Begin(dir, "test");
        var inSave = () => save.WriteText("link.txt", "x");
        inSave.Should().Throw<IOException>();
    }

    private sealed class SimulatedCrash(string step) : Exception("simulated crash at " + step);
}
