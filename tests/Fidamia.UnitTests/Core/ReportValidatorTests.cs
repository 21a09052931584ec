using Fidamia.Core.Errors;
using Fidamia.Core.Geo;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Reports;

namespace Fidamia.UnitTests.Core;

public class ReportValidatorTests
{
    private readonly ReportValidator _validator = new(TestTaxonomy.Shipped(), TimeProvider.System);

    private static TriageReport Valid() => new()
    {
        ReportId = "bo-2026:000123.a_b-c",
        Photo = new byte[] { 1, 2, 3 },
        Location = new GeoPoint(43.2965, 5.3698, 12),
        DeclaredCategory = "graffiti",
        Description = "Tag sur la façade de l'école",
        Channel = ReportChannel.App,
        ReportedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public void Validate_ValidReport_Passes()
    {
        _validator.Validate(Valid());
    }

    [Fact]
    public void Validate_EverythingWrong_ListsEveryFieldAtOnce()
    {
        var report = Valid() with
        {
            ReportId = "",
            Photo = ReadOnlyMemory<byte>.Empty,
            Location = null,
            DeclaredCategory = "licorne",
            Description = new string('x', 4001),
            Channel = ReportChannel.Unspecified,
            ReportedAt = DateTimeOffset.UtcNow.AddDays(2),
        };

        var ex = Assert.Throws<InvalidReportException>(() => _validator.Validate(report));

        Assert.Equal(
            ["report_id", "photo", "location", "declared_category", "description", "channel", "reported_at"],
            ex.Violations.Select(v => v.Field));
    }

    [Theory]
    [InlineData(double.NaN, 5.0, "location.lat")]
    [InlineData(90.0001, 5.0, "location.lat")]
    [InlineData(-91.0, 5.0, "location.lat")]
    [InlineData(43.0, double.PositiveInfinity, "location.lon")]
    [InlineData(43.0, 180.5, "location.lon")]
    public void Validate_CoordinateOutOfRange_NamesTheCoordinate(double lat, double lon, string field)
    {
        var ex = Assert.Throws<InvalidReportException>(() => _validator.Validate(Valid() with { Location = new GeoPoint(lat, lon) }));

        Assert.Equal(field, Assert.Single(ex.Violations).Field);
    }

    [Fact]
    public void Validate_NegativeAccuracy_IsRefused()
    {
        var ex = Assert.Throws<InvalidReportException>(() => _validator.Validate(Valid() with { Location = new GeoPoint(43, 5, -1) }));

        Assert.Equal("location.accuracy_m", Assert.Single(ex.Violations).Field);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("slash/id")]
    [InlineData("é")]
    public void Validate_ReportIdWithForbiddenCharacter_IsRefused(string id)
    {
        var ex = Assert.Throws<InvalidReportException>(() => _validator.Validate(Valid() with { ReportId = id }));

        Assert.Equal("report_id", Assert.Single(ex.Violations).Field);
    }

    [Fact]
    public void Validate_ReportIdOf128_PassesAnd129_IsRefused()
    {
        _validator.Validate(Valid() with { ReportId = new string('a', 128) });

        Assert.Throws<InvalidReportException>(() => _validator.Validate(Valid() with { ReportId = new string('a', 129) }));
    }

    [Fact]
    public void Validate_DescriptionOf4000AstralCharacters_Passes()
    {
        // 4000 emoji are 8000 UTF-16 units but 4000 characters as a person counts them.
        _validator.Validate(Valid() with { Description = string.Concat(Enumerable.Repeat("🚧", 4000)) });
    }

    [Fact]
    public void Validate_UndefinedChannelNumber_IsRefused()
    {
        var ex = Assert.Throws<InvalidReportException>(() => _validator.Validate(Valid() with { Channel = (ReportChannel)42 }));

        Assert.Equal("channel", Assert.Single(ex.Violations).Field);
    }
}
