using Fidamia.Gis.Sources;
using NetTopologySuite.Geometries;
using Npgsql;

namespace Fidamia.IntegrationTests.PostGis;

/// <summary>PostGisFeatureSource against a real PostgreSQL + PostGIS (tests/postgis/start.sh) and the shared communes.</summary>
public class PostGisFeatureSourceTests(PostGisCommunes communes) : IClassFixture<PostGisCommunes>
{
    private const string WrongPassword = "not-the-password-7f3a";

    [PostGisSharedDataFact]
    public void ReadAll_Wgs84Table_ReturnsTheFilesCommunesAttributesAndGeometries()
    {
        var source = new PostGisFeatureSource(PostGisServer.Require(), communes.Wgs84Table);

        var features = source.ReadAll(CancellationToken.None);

        Assert.Equal(92, features.Count);
        var file = communes.File.ToDictionary(commune => commune.Insee, StringComparer.Ordinal);
        Assert.Equal(
            file.Keys.Order(StringComparer.Ordinal),
            features.Select(feature => (string)feature.Attributes["insee"]!).Order(StringComparer.Ordinal));
        foreach (var feature in features)
        {
            Assert.Equal(
                new[] { "id", "insee", "nom", "population", "territoire" },
                feature.Attributes.Keys.Order(StringComparer.Ordinal));
            var expected = file[(string)feature.Attributes["insee"]!];
            Assert.Equal(expected.Nom, feature.Attributes["nom"]);
            Assert.Equal(expected.Territoire, feature.Attributes["territoire"]);
            Assert.Equal(expected.Population, Assert.IsType<int>(feature.Attributes["population"]));
            Assert.IsType<int>(feature.Attributes["id"]);

            Assert.Equal(4326, feature.Geometry.SRID);
            Assert.Equal(expected.Geometry.GeometryType, feature.Geometry.GeometryType);
            Assert.Equal(expected.Geometry.NumPoints, feature.Geometry.NumPoints);
            Assert.True(
                Math.Abs(feature.Geometry.Area - expected.Geometry.Area) <= 1e-9 * expected.Geometry.Area,
                $"{expected.Insee}: area {feature.Geometry.Area} read back, {expected.Geometry.Area} in the file");
            Assert.True(feature.Geometry.EqualsExact(expected.Geometry), $"{expected.Insee}: coordinates differ from the file's");
        }
    }

    [PostGisSharedDataFact]
    public void ReadAll_SchemaQualifiedName_ReadsTheSameTable()
    {
        var source = new PostGisFeatureSource(PostGisServer.Require(), "public." + communes.Wgs84Table);

        var features = source.ReadAll(CancellationToken.None);

        Assert.Equal(92, features.Count);
        Assert.StartsWith("public." + communes.Wgs84Table + "@127.0.0.1:", source.Description, StringComparison.Ordinal);
    }

    [PostGisSharedDataFact]
    public void ReadAll_Lambert93Table_ReturnsCoordinatesInMetres()
    {
        var source = new PostGisFeatureSource(PostGisServer.Require(), communes.Lambert93Table);

        var features = source.ReadAll(CancellationToken.None);

        Assert.Equal(92, features.Count);
        var file = communes.File.ToDictionary(commune => commune.Insee, StringComparer.Ordinal);
        foreach (var feature in features)
        {
            Assert.Equal(2154, feature.Geometry.SRID);
            var envelope = feature.Geometry.EnvelopeInternal;
            Assert.InRange(envelope.MinX, 800_000, 1_000_000);
            Assert.InRange(envelope.MaxX, 800_000, 1_000_000);
            Assert.InRange(envelope.MinY, 6_200_000, 6_400_000);
            Assert.InRange(envelope.MaxY, 6_200_000, 6_400_000);
            Assert.Equal(file[(string)feature.Attributes["insee"]!].Nom, feature.Attributes["nom"]);
        }
    }

    [PostGisSharedDataFact]
    public void ReadAll_TwoGeometryColumns_TakesTheFirstAndSaysSo()
    {
        var source = new PostGisFeatureSource(PostGisServer.Require(), communes.TwoGeometriesTable);

        var features = source.ReadAll(CancellationToken.None);

        Assert.Equal(92, features.Count);
        Assert.All(features, feature => Assert.IsType<Point>(feature.Geometry));
        Assert.All(features, feature => Assert.Equal(new[] { "insee" }, feature.Attributes.Keys));
        Assert.Contains("geometry column centre, first of centre, geom", source.Description, StringComparison.Ordinal);
    }

    [PostGisSharedDataFact]
    public void ReadAll_GeometryColumnGiven_ReadsThatColumn()
    {
        var source = new PostGisFeatureSource(PostGisServer.Require(), communes.TwoGeometriesTable, geometryColumn: "geom");

        var features = source.ReadAll(CancellationToken.None);

        Assert.Equal(92, features.Count);
        Assert.All(features, feature => Assert.IsNotType<Point>(feature.Geometry));
        Assert.DoesNotContain("first of", source.Description, StringComparison.Ordinal);
    }

    [PostGisSharedDataFact]
    public void ReadAll_Cancelled_ThrowsOperationCanceled()
    {
        var source = new PostGisFeatureSource(PostGisServer.Require(), communes.Wgs84Table);

        Assert.ThrowsAny<OperationCanceledException>(() => source.ReadAll(new CancellationToken(canceled: true)));
    }

    [PostGisFact]
    public void ReadAll_MissingTable_ThrowsNamingTheDescriptionAndCause()
    {
        var source = new PostGisFeatureSource(PostGisServer.Require(), "fidamia_no_such_table");

        var error = Assert.Throws<InvalidOperationException>(() => source.ReadAll(CancellationToken.None));

        Assert.StartsWith("PostGIS layer fidamia_no_such_table@127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Contains(source.Description, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [PostGisFact]
    public void ReadAll_TableWithoutGeometry_ThrowsNamingTheDescriptionAndCause()
    {
        // pg_catalog.pg_class is a table with no geometry column that every database has.
        var source = new PostGisFeatureSource(PostGisServer.Require(), "pg_catalog.pg_class");

        var error = Assert.Throws<InvalidOperationException>(() => source.ReadAll(CancellationToken.None));

        Assert.Contains(source.Description, error.Message, StringComparison.Ordinal);
        Assert.Contains("no geometry column", error.Message, StringComparison.Ordinal);
    }

    [PostGisFact]
    public void ReadAll_WrongPassword_ThrowsNamingTheDescriptionWithoutThePassword()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(PostGisServer.Require()) { Password = WrongPassword }.ConnectionString;
        var source = new PostGisFeatureSource(connectionString, "communes");

        var error = Assert.Throws<InvalidOperationException>(() => source.ReadAll(CancellationToken.None));

        Assert.StartsWith("PostGIS layer communes@127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Contains(source.Description, error.Message, StringComparison.Ordinal);
        Assert.Contains("password authentication failed", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPassword, error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPassword, source.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadAll_NothingListening_ThrowsNamingTheDescription()
    {
        // Port 1 on loopback: refused at once, no server needed.
        var source = new PostGisFeatureSource(
            $"Host=127.0.0.1;Port=1;Username=fidamia;Password={WrongPassword};Database=fidamia;Timeout=5",
            "communes");

        var error = Assert.Throws<InvalidOperationException>(() => source.ReadAll(CancellationToken.None));

        Assert.StartsWith("PostGIS layer communes@127.0.0.1:1/fidamia: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(WrongPassword, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Description_IsTableAtHostPortDatabase_WithoutThePassword()
    {
        var source = new PostGisFeatureSource(
            $"Host=db.example;Port=6543;Username=u;Password={WrongPassword};Database=gis",
            "layers.communes");

        Assert.Equal("layers.communes@db.example:6543/gis", source.Description);
    }

    [Theory]
    [InlineData("communes; drop table x")]
    [InlineData("communes;drop")]
    [InlineData("a.b.c")]
    [InlineData("\"communes\"")]
    [InlineData("communes ")]
    [InlineData("communes\n")]
    [InlineData(".communes")]
    [InlineData("public.")]
    [InlineData("")]
    [InlineData("communés")]
    public void Constructor_NotAnIdentifier_Refuses(string table)
    {
        var error = Assert.Throws<ArgumentException>(
            () => new PostGisFeatureSource("Host=127.0.0.1;Username=fidamia;Database=fidamia", table));

        Assert.Equal("table", error.ParamName);
    }

    [Fact]
    public void Constructor_BadGeometryColumn_Refuses()
    {
        var error = Assert.Throws<ArgumentException>(
            () => new PostGisFeatureSource("Host=127.0.0.1;Database=fidamia", "communes", geometryColumn: "geom; drop table x"));

        Assert.Equal("geometryColumn", error.ParamName);
    }
}
