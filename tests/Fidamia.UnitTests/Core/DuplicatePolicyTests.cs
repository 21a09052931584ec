using Fidamia.Core.Duplicates;
using Fidamia.Core.Geo;
using Fidamia.Core.Imaging;
using Fidamia.Core.Pipeline;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

public sealed class DuplicatePolicyTests
{
    private static readonly GeoPoint Here = new(43.2965, 5.3698);
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly float[] Scene = Unit(1, 0, 0);
    private readonly Fidamia.Core.Taxonomy.Taxonomy _taxonomy = TestTaxonomy.Small();

    private DuplicatePolicy Policy(Action<DuplicateOptions>? configure = null)
    {
        var options = new DuplicateOptions { RadiusM = new(StringComparer.Ordinal) { ["graffiti"] = 30, ["voirie"] = 60 } };
        configure?.Invoke(options);
        return new DuplicatePolicy(_taxonomy, Options.Create(options));
    }

    private static float[] Unit(params float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private static GeoPoint North(double metres) => new(Here.Lat + (metres / 111_320), Here.Lon);

    private static NearbyReport Candidate(string id, GeoPoint at, string? label = "graffiti", float[]? embedding = null, ulong hash = 0xFFFF_0000_FFFF_0000,
        TriageStatus status = TriageStatus.NeedsReview, TimeSpan? age = null) =>
        new(id, at, Now - (age ?? TimeSpan.FromHours(1)), status, label, embedding ?? Scene, "m", hash);

    private DuplicateMatch? Find(DuplicatePolicy policy, string label, float[] embedding, ulong hash, params NearbyReport[] nearby) =>
        policy.Find(_taxonomy.Find(label), Here, Now, embedding, "m", hash, nearby);

    [Fact]
    public void Find_SameFamilyNearWithTheSamePhoto_IsTheNearestOne()
    {
        var match = Find(Policy(), "graffiti", Scene, 1, Candidate("far", North(25)), Candidate("near", North(10)));

        Assert.Equal("near", match!.OriginalId);
        Assert.InRange(match.DistanceM, 9.5, 10.5);
        Assert.Contains("report near", match.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Find_OutsideTheLabelsRadius_IsNone()
    {
        // 40 m is outside graffiti's 30 m, though inside the 50 m default.
        Assert.Null(Find(Policy(), "graffiti", Scene, 1, Candidate("a", North(40))));
    }

    [Fact]
    public void RadiusFor_LabelThenFamilyThenDefault()
    {
        var policy = Policy();

        Assert.Equal(30, policy.RadiusFor(_taxonomy.Find("graffiti")!));
        Assert.Equal(60, policy.RadiusFor(_taxonomy.Find("trottoir")!));
        Assert.Equal(50, policy.RadiusFor(_taxonomy.Find("depot_sauvage")!));
        Assert.Equal(60, policy.MaxRadius);
    }

    [Fact]
    public void Find_OtherFamilyOrNoLabel_IsNone()
    {
        var policy = Policy();

        Assert.Null(Find(policy, "trottoir", Scene, 1, Candidate("a", North(5))));
        Assert.Null(Find(policy, "graffiti", Scene, 1, Candidate("a", North(5), label: null)));
        Assert.Null(policy.Find(null, Here, Now, Scene, "m", 1, [Candidate("a", North(5))]));
    }

    [Fact]
    public void Find_DifferentPhoto_IsNone_ButTheSamePhotoByItsHashIs()
    {
        var other = Unit(0, 1, 0);
        var policy = Policy();

        Assert.Null(Find(policy, "graffiti", other, 0x0F0F, Candidate("a", North(5), hash: 0xF0F0)));
        Assert.Equal("a", Find(policy, "graffiti", other, 0xF0F0 ^ 0b111, Candidate("a", North(5), hash: 0xF0F0))!.OriginalId);
    }

    [Fact]
    public void Find_PastTheWindowClosedOrAlreadyADuplicate_IsNone()
    {
        var policy = Policy();

        Assert.Null(Find(policy, "graffiti", Scene, 1, Candidate("old", North(5), age: TimeSpan.FromDays(15))));
        Assert.Null(Find(policy, "graffiti", Scene, 1, Candidate("rejected", North(5), status: TriageStatus.Rejected)));
        Assert.Null(Find(policy, "graffiti", Scene, 1, Candidate("dup", North(5), status: TriageStatus.Duplicate)));
        Assert.Null(Find(Policy(o => o.Enabled = false), "graffiti", Scene, 1, Candidate("a", North(5))));
    }

    [Fact]
    public void PhotoHash_SameTensorIsZeroApart_AndAMirroredOneFar()
    {
        var spec = new TensorSpec(32, 32, ColorOrder.Rgb, 1, [0, 0, 0], [1, 1, 1], Fidamia.Core.Imaging.ResizeMode.Stretch);
        var tensor = new float[spec.Length];
        for (var i = 0; i < tensor.Length; i++)
        {
            tensor[i] = (i % 32) * ((i / 32 % 32) + 1) % 17;
        }

        var mirrored = new float[tensor.Length];
        for (var i = 0; i < tensor.Length; i++)
        {
            mirrored[i] = tensor[(i / 32 * 32) + (31 - (i % 32))];
        }

        var hash = PhotoHash.Of(tensor, spec);

        Assert.Equal(0, PhotoHash.Distance(hash, PhotoHash.Of(tensor, spec)));
        Assert.True(PhotoHash.Distance(hash, PhotoHash.Of(mirrored, spec)) > 16);
    }

    [Fact]
    public void GeoBox_AroundAPoint_HoldsTheCircle()
    {
        var box = GeoBox.Around(Here, 100);

        Assert.True(box.North > North(99.9).Lat && box.South < Here.Lat - (99.9 / 111_320));
        var east = new GeoPoint(Here.Lat, box.East);
        Assert.InRange(Geodesy.HaversineMeters(Here, east), 99, 101);
    }
}
