using System.Reflection;
using Npgsql;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Fidamia.UnitTests.Storage;

/// <summary>
/// The PostgreSQL server the store tests use: FIDAMIA_POSTGIS holds its connection string, as for the integration tests
/// (which this project does not reference). .ci/run sets it; by hand:
/// <c>export FIDAMIA_POSTGIS="$(bash tests/postgis/start.sh)"</c>.
/// </summary>
internal static class PostgresServer
{
    public const string Variable = "FIDAMIA_POSTGIS";

    public const string SkipReason =
        Variable + " is unset (run: export " + Variable + "=\"$(bash tests/postgis/start.sh)\" to run this test; .ci/run does)";

    public static string? ConnectionString =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>
    /// Why a PostgreSQL test cannot run here, or null when it must run. CI must run them, so under CI=true a missing
    /// server fails the tests instead of skipping them; a developer's machine may skip them.
    /// </summary>
    public static string? Unavailable =>
        ConnectionString is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? SkipReason
            : null;

    public static string Require() => ConnectionString ?? throw new InvalidOperationException(SkipReason);
}

/// <summary>A fact that needs the PostgreSQL server; skipped, with the reason, when FIDAMIA_POSTGIS is unset outside CI.</summary>
internal sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        Skip = PostgresServer.Unavailable;
    }
}

/// <summary>
/// A schema of its own on the test server, <c>test_&lt;random&gt;</c>, and a connection string whose search path is it,
/// so tests running together never see each other's tables; dropped with all it holds on dispose.
/// </summary>
internal sealed class PostgresTestSchema : IDisposable
{
    private readonly string _server = PostgresServer.Require();

    public PostgresTestSchema()
    {
        Name = $"test_{Guid.NewGuid():N}";
        Execute(_server, $"CREATE SCHEMA {Name}");
        ConnectionString = new NpgsqlConnectionStringBuilder(_server) { SearchPath = Name }.ConnectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    /// <summary>The database's name, as a message about it should give it.</summary>
    public string Database => new NpgsqlConnectionStringBuilder(_server).Database!;

    public object? Scalar(string sql)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    public void Execute(string sql) => Execute(ConnectionString, sql);

    public void Dispose() => Execute(_server, $"DROP SCHEMA IF EXISTS {Name} CASCADE");

    private static void Execute(string connectionString, string sql)
    {
        // Unpooled: the schema's own connections go with it.
        using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}

/// <summary>
/// A fact of a contract base class, which every store's test class inherits: skipped, with the reason, where the
/// concrete class's <see cref="StoreRequirementAttribute"/> says its database is not here. A plain fact cannot, its
/// skip reason being fixed where the base class declares it.
/// </summary>
[XunitTestCaseDiscoverer("Fidamia.UnitTests.Storage.ContractFactDiscoverer", "Fidamia.UnitTests")]
[AttributeUsage(AttributeTargets.Method)]
internal sealed class ContractFactAttribute : FactAttribute;

/// <summary>What a store's test class needs to run, and why it cannot here (null when it can).</summary>
[AttributeUsage(AttributeTargets.Class)]
internal abstract class StoreRequirementAttribute : Attribute
{
    public abstract string? Unavailable { get; }
}

/// <summary>The test class needs the PostgreSQL server: its contract facts skip as <see cref="PostgresFactAttribute"/> does.</summary>
internal sealed class RequiresPostgresAttribute : StoreRequirementAttribute
{
    public override string? Unavailable => PostgresServer.Unavailable;
}

public sealed class ContractFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    protected override IXunitTestCase CreateTestCase(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute) =>
        new ContractTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(), discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod);
}

/// <summary>A contract fact in one store's test class, skipped when that store's requirement is not met.</summary>
public sealed class ContractTestCase : XunitTestCase
{
    [Obsolete("Called by the de-serializer only", error: true)]
    public ContractTestCase()
    {
    }

    public ContractTestCase(IMessageSink diagnosticMessageSink, TestMethodDisplay display, TestMethodDisplayOptions options, ITestMethod testMethod)
        : base(diagnosticMessageSink, display, options, testMethod)
    {
    }

    // Read from the environment again after de-serialization, as a fact's own Skip is.
    protected override string GetSkipReason(IAttributeInfo factAttribute) =>
        TestMethod.TestClass.Class.ToRuntimeType()?.GetCustomAttribute<StoreRequirementAttribute>()?.Unavailable
        ?? base.GetSkipReason(factAttribute);
}
