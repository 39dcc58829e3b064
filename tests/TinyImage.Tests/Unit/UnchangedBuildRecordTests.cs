using System.Collections.Immutable;
using System.Text;
using TinyImage.Core.Build;
using TinyImage.Core.FileSystem;
using TinyImage.Core.Layers;
using TinyImage.Core.Oci;
using TinyImage.Core.Spec;
using TinyImage.Tests.Integration;

namespace TinyImage.Tests.Unit;

/// <summary>
/// The parts of skipping an unchanged build that need no runner: the key (<see cref="Fingerprint"/>), the record's
/// format (what does not parse is no record, never an error), and <see cref="InputRecorder"/>.
/// </summary>
public sealed class UnchangedBuildRecordTests
{
    private static ImageSpec Spec(string text = "hi") => new()
    {
        Steps = [new AddBinaryStep("/bin/ls", "/bin/ls"), new WithLibsStep(), new AddTextStep("/greeting", text, 0x1A4)],
        Config = new ImageConfig { Cmd = ["/bin/ls"], Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, string>("a", "1")]) },
        Origin = new TinyImage.Core.SourceLocation("/r/x.tiny.csx", 3),
    };

    private static string? KeyOf(ImageSpec spec, ImagePipelineOptions? options = null) =>
        UnchangedBuilds.KeyOf(spec, ImageReference.Parse("x:1"), Platform.LinuxAmd64, options ?? new ImagePipelineOptions());

    [Fact]
    public void The_key_is_the_same_for_the_same_spec_and_changes_with_any_field()
    {
        Assert.NotNull(KeyOf(Spec()));
        Assert.Equal(KeyOf(Spec()), KeyOf(Spec()));
        Assert.NotEqual(KeyOf(Spec()), KeyOf(Spec("ho")));
        Assert.NotEqual(KeyOf(Spec()), KeyOf(Spec() with { Config = Spec().Config with { User = "1000" } }));
        Assert.NotEqual(KeyOf(Spec()), KeyOf(Spec() with { Origin = new TinyImage.Core.SourceLocation("/r/x.tiny.csx", 4) }));
        Assert.NotEqual(KeyOf(Spec()), KeyOf(Spec(), new ImagePipelineOptions { Strict = true }));
        Assert.NotEqual(KeyOf(Spec()), KeyOf(Spec(), new ImagePipelineOptions { Layers = new LayerOptions { ModificationTime = DateTimeOffset.FromUnixTimeSeconds(1) } }));
        Assert.NotEqual(KeyOf(Spec()), UnchangedBuilds.KeyOf(Spec(), ImageReference.Parse("x:2"), Platform.LinuxAmd64, new ImagePipelineOptions()));
        Assert.NotEqual(KeyOf(Spec()), UnchangedBuilds.KeyOf(Spec(), ImageReference.Parse("x:1"), Platform.LinuxArm64, new ImagePipelineOptions()));
    }

    [Fact]
    public void Specs_that_are_never_skipped_have_no_key()
    {
        Assert.Null(KeyOf(Spec() with { Steps = [new TraceStep("/bin/ls", [])] }));
        Assert.Null(KeyOf(Spec() with { Root = "/srv/root" }));
        Assert.Null(KeyOf(Spec() with { Base = new BaseImage(BaseImageKind.Registry, "127.0.0.1:5000/base:1") }));
        Assert.Null(KeyOf(Spec(), new ImagePipelineOptions { Format = ImageFormat.OciDirectory }));
    }

    [Fact]
    public void A_fingerprint_of_a_delegate_is_none_and_a_set_order_does_not_count()
    {
        Assert.Null(Fingerprint.Of(new ImagePipelineOptions()));
        Assert.Equal(Fingerprint.Of(new HashSet<string> { "a", "b", "c" }), Fingerprint.Of(new HashSet<string> { "c", "a", "b" }));
        Assert.NotEqual(Fingerprint.Of(new List<string> { "a", "b" }), Fingerprint.Of(new List<string> { "b", "a" }));
        Assert.NotEqual(Fingerprint.Of("ab", "c"), Fingerprint.Of("a", "bc"));
        Assert.NotEqual(Fingerprint.Of(ImmutableArray<string>.Empty), Fingerprint.Of(default(ImmutableArray<string>)));
    }

    private static UnchangedBuilds.Made Made(string blob)
    {
        var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\"}");
        var layer = new Layer
        {
            Digest = Digest.Compute([1, 2, 3]), DiffId = Digest.Compute([4]), Size = 3, UncompressedSize = 1024, BlobPath = blob,
            FileCount = 1, EntryCount = 2, ContentSize = 5,
        };
        var manifest = Encoding.UTF8.GetBytes($"{{\"config\":{{\"digest\":\"{Digest.Compute(config)}\"}},\"layers\":[{{\"digest\":\"{layer.Digest}\"}}]}}");
        return new UnchangedBuilds.Made([("/usr/bin/ls", true, "81ed:0:0:8.1:5:6:7.000000000:8.000000000"), ("/x\ty z", false, "-")],
            [("/out/x.tar", "81a4:0:0:8.1:9:10:1.000000000:2.000000000")], config, manifest, [layer], ["hint: one\nwith a newline"],
            [new LargeFile("/usr/bin/ls", 5, "AddBinary at x(1)")], ["/usr/bin/ls"]);
    }

    [Fact]
    public void A_record_reads_back_as_written()
    {
        using var dir = new TempDirectory();
        var records = new UnchangedBuilds(dir.Combine("builds"));
        var made = Made("/cache/blob");
        records.Write("k", made);
        var read = Assert.IsType<UnchangedBuilds.Made>(records.Read("k"));
        Assert.Equal(made.Inputs, read.Inputs);
        Assert.Equal(made.Outputs, read.Outputs);
        Assert.Equal(made.Config, read.Config);
        Assert.Equal(made.Manifest, read.Manifest);
        Assert.Equal(made.Layers, read.Layers);
        Assert.Equal(made.Hints, read.Hints);
        Assert.Equal(made.Largest, read.Largest);
        Assert.Equal(made.Sources, read.Sources);
        Assert.Null(records.Read("other"));
    }

    [Fact]
    public void A_damaged_record_is_no_record()
    {
        using var dir = new TempDirectory();
        var records = new UnchangedBuilds(dir.Combine("builds"));
        records.Write("k", Made("/cache/blob"));
        var good = File.ReadAllBytes(dir.Combine("builds/k"));
        var random = new Random(10);
        for (var i = 0; i < 3000; i++)
        {
            var bytes = (byte[])good.Clone();
            switch (i % 4)
            {
                case 0: bytes = bytes[..random.Next(bytes.Length)]; break;
                case 1: bytes[random.Next(bytes.Length)] = (byte)random.Next(256); break;
                case 2: bytes[random.Next(bytes.Length)] = (byte)"\t\n=:"[random.Next(4)]; break;
                default: random.NextBytes(bytes.AsSpan(random.Next(bytes.Length))); break;
            }
            File.WriteAllBytes(dir.Combine("builds/k"), bytes);
            var read = records.Read("k"); // never throws
            if (read is not null) Assert.Contains(Digest.Compute(read.Config).ToString(), Encoding.UTF8.GetString(read.Manifest));
        }
        // A record whose manifest does not name its config is not believed.
        var made = Made("/cache/blob");
        records.Write("k", made with { Config = [.. made.Config, (byte)' '] });
        Assert.Null(records.Read("k"));
    }

    [Fact]
    public async Task The_recorder_sees_lookups_in_its_flow_only_and_distrusts_what_just_changed()
    {
        using var dir = new TempDirectory();
        dir.Write("new.txt", "x");
        var recorder = new InputRecorder([dir.Combine("ignored")], DateTimeOffset.UtcNow);
        var outside = Task.Run(() => HostFileStatus.Of("/etc/hostname"));
        async Task Flow()
        {
            InputRecorder.Current = recorder;
            await Task.Yield();
            HostFileStatus.Of("/usr/bin");
            HostFileStatus.Of("/no/such/file");
            HostFileStatus.Of(dir.Combine("ignored/file"));
            await Task.Run(() => InputRecorder.Observe("/usr/lib"));
        }
        await Flow();
        await outside;
        Assert.Null(InputRecorder.Current);
        var seen = recorder.Seen();
        Assert.Equal(["/no/such/file", "/usr/bin", "/usr/lib"], seen.Select(s => s.Path));
        Assert.Equal(HostFileStatus.MissingIdentity, seen[0].Identity);
        Assert.True(recorder.IsUsable);
        Assert.True(InputRecorder.Unchanged(seen));
        Assert.False(InputRecorder.Unchanged([.. seen, (dir.Combine("new.txt"), false, HostFileStatus.MissingIdentity)]));

        // A file changed a moment ago: a second change in the same clock tick would not show, so nothing is trusted.
        InputRecorder.Current = recorder;
        HostFileStatus.Of(dir.Combine("new.txt"));
        InputRecorder.Current = null;
        Assert.False(recorder.IsUsable);

        // A path that cannot be examined: recording never throws (the reader says what is wrong), and records nothing.
        var other = new InputRecorder([], DateTimeOffset.UtcNow);
        InputRecorder.Current = other;
        Assert.Equal("/" + new string('a', 5000), InputRecorder.Observe("/" + new string('a', 5000)));
        InputRecorder.Current = null;
        Assert.False(other.IsUsable);
    }
}
