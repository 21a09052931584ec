using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using NetTopologySuite.Geometries;
using Npgsql;

namespace Fidamia.Gis.Sources;

/// <summary>
/// A layer read whole from a PostGIS table: one feature per row with a non-NULL geometry, the geometry in the
/// table's own SRID, every non-geometry column as an attribute (its .NET value as Npgsql reads it; NULL is null).
/// </summary>
/// <remarks>
/// <para><c>table</c> is <c>table</c> or <c>schema.table</c>: letters, digits and underscores, at most one dot.
/// Each part is quoted as given, so it is case-sensitive (<c>Communes</c> is not <c>communes</c>); without a
/// schema the table is found on the connection's search_path.</para>
/// <para>The geometry column is <c>geometryColumn</c> when given, else the first (by column order) of those
/// <c>geometry_columns</c> lists for the table; when there are several, <see cref="Description"/> says which
/// was taken after the first read. Other geometry columns are not attributes.</para>
/// <para>Every failure to connect or read (wrong host or password, missing table, no geometry column) throws an
/// <see cref="InvalidOperationException"/> whose message starts with <c>PostGIS layer {Description}:</c> and
/// gives the cause. The connection string's password never appears in <see cref="Description"/> or a message.
/// Cancellation throws <see cref="OperationCanceledException"/>.</para>
/// </remarks>
public sealed partial class PostGisFeatureSource : IFeatureSource
{
    private const int MaxIdentifierLength = 63;

    private readonly string _connectionString;
    private readonly string? _schema;
    private readonly string _table;
    private readonly string? _geometryColumn;
    private readonly string _baseDescription;
    private string _description;

    /// <param name="connectionString">An Npgsql connection string (Host, Port, Username, Password, Database...).</param>
    /// <param name="table"><c>table</c> or <c>schema.table</c>.</param>
    /// <param name="geometryColumn">The geometry column to read; null to take the first one the table has.</param>
    /// <exception cref="ArgumentException">The connection string does not parse, or a name is not a plain identifier.</exception>
    public PostGisFeatureSource(string connectionString, string table, string? geometryColumn = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ArgumentNullException.ThrowIfNull(table);

        var match = TableName().Match(table);
        if (!match.Success || match.Groups["table"].Length > MaxIdentifierLength || match.Groups["schema"].Length > MaxIdentifierLength)
        {
            throw new ArgumentException(
                $"PostGIS table name '{table}' is not 'table' or 'schema.table' made of letters, digits and underscores (at most {MaxIdentifierLength} each).",
                nameof(table));
        }

        if (geometryColumn is not null && (!Identifier().IsMatch(geometryColumn) || geometryColumn.Length > MaxIdentifierLength))
        {
            throw new ArgumentException(
                $"PostGIS geometry column name '{geometryColumn}' is not made of letters, digits and underscores.",
                nameof(geometryColumn));
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            // The parser's message names the offending key, which a stray ';' in a password can make out of part of it.
            throw new ArgumentException(
                $"The connection string for PostGIS table '{table}' does not parse (check its keys and values).",
                nameof(connectionString));
        }

        _connectionString = connectionString;
        _schema = match.Groups["schema"].Success ? match.Groups["schema"].Value : null;
        _table = match.Groups["table"].Value;
        _geometryColumn = geometryColumn;
        _baseDescription = Describe(table, builder);
        _description = _baseDescription;
    }

    /// <summary><c>table@host:port/database</c>; after a read, also the geometry column taken when the table has several.</summary>
    public string Description => Volatile.Read(ref _description);

    public IReadOnlyList<SourceFeature> ReadAll(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(_connectionString);
            dataSourceBuilder.UseNetTopologySuite();
            using var dataSource = dataSourceBuilder.Build();
            using var connection = dataSource.OpenConnection();
            cancellationToken.ThrowIfCancellationRequested();

            var (schema, table) = ResolveTable(connection, cancellationToken);
            var geometryColumns = GeometryColumns(connection, schema, table, cancellationToken);
            var geometryColumn = ChooseGeometryColumn(geometryColumns);
            return ReadRows(connection, schema, table, geometryColumn, geometryColumns, cancellationToken);
        }
        catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is not OperationCanceledException)
        {
            // A cancelled command ends with the server's "canceling statement due to user request".
            throw new OperationCanceledException($"Reading PostGIS layer {Description} was cancelled.", ex, cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException or InvalidCastException)
        {
            throw new InvalidOperationException($"PostGIS layer {Description}: {Cause(ex)}", ex);
        }
    }

    private (string Schema, string Table) ResolveTable(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // to_regclass parses the quoted name like the SQL would, search_path included, and is NULL when it does not exist.
        using var command = new NpgsqlCommand(
            """
            SELECT n.nspname, c.relname
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.oid = pg_catalog.to_regclass(@name)
            """,
            connection);
        command.Parameters.AddWithValue("name", QualifiedName(_schema, _table));
        using var registration = CancelOnToken(command, cancellationToken);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            throw Failure(_schema is null
                ? $"relation \"{_table}\" does not exist (not found on the search_path)"
                : $"relation \"{_schema}.{_table}\" does not exist");
        }

        return (reader.GetString(0), reader.GetString(1));
    }

    private List<string> GeometryColumns(NpgsqlConnection connection, string schema, string table, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(
            """
            SELECT g.f_geometry_column::text
            FROM geometry_columns g
            JOIN pg_catalog.pg_attribute a
              ON a.attrelid = pg_catalog.to_regclass(pg_catalog.quote_ident(@schema) || '.' || pg_catalog.quote_ident(@table))
             AND a.attname = g.f_geometry_column
            WHERE g.f_table_schema = @schema AND g.f_table_name = @table
            ORDER BY a.attnum
            """,
            connection);
        command.Parameters.AddWithValue("schema", schema);
        command.Parameters.AddWithValue("table", table);
        var columns = new List<string>();
        try
        {
            using var registration = CancelOnToken(command, cancellationToken);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            throw Failure($"{ex.MessageText} (is the postgis extension installed in database {connection.Database}?)", ex);
        }

        return columns;
    }

    private string ChooseGeometryColumn(List<string> geometryColumns)
    {
        if (_geometryColumn is not null)
        {
            return geometryColumns.Contains(_geometryColumn, StringComparer.Ordinal)
                ? _geometryColumn
                : throw Failure(geometryColumns.Count == 0
                    ? $"geometry column \"{_geometryColumn}\" not found: geometry_columns lists none for the table"
                    : $"geometry column \"{_geometryColumn}\" not found: geometry_columns lists {string.Join(", ", geometryColumns)}");
        }

        if (geometryColumns.Count == 0)
        {
            throw Failure("the table has no geometry column (geometry_columns lists none)");
        }

        var chosen = geometryColumns[0];
        if (geometryColumns.Count > 1)
        {
            Volatile.Write(
                ref _description,
                $"{_baseDescription} (geometry column {chosen}, first of {string.Join(", ", geometryColumns)})");
        }

        return chosen;
    }

    private List<SourceFeature> ReadRows(
        NpgsqlConnection connection,
        string schema,
        string table,
        string geometryColumn,
        List<string> geometryColumns,
        CancellationToken cancellationToken)
    {
        // Names come from the catalogue and are quoted; nothing from the caller reaches the SQL text unquoted.
        using var command = new NpgsqlCommand($"SELECT * FROM {QualifiedName(schema, table)}", connection);
        using var registration = CancelOnToken(command, cancellationToken);
        using var reader = command.ExecuteReader();

        var geometryOrdinal = -1;
        var attributeOrdinals = new List<(int Ordinal, string Name)>();
        for (var i = 0; i < reader.FieldCount; i++)
        {
            var name = reader.GetName(i);
            if (string.Equals(name, geometryColumn, StringComparison.Ordinal))
            {
                geometryOrdinal = i;
            }
            else if (!geometryColumns.Contains(name, StringComparer.Ordinal))
            {
                attributeOrdinals.Add((i, name));
            }
        }

        if (geometryOrdinal < 0)
        {
            throw Failure($"geometry column \"{geometryColumn}\" is not in the table's rows");
        }

        var features = new List<SourceFeature>();
        while (reader.Read())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (reader.IsDBNull(geometryOrdinal))
            {
                continue;
            }

            if (reader.GetValue(geometryOrdinal) is not Geometry geometry)
            {
                throw Failure($"column \"{geometryColumn}\" read as {reader.GetFieldType(geometryOrdinal).Name}, not a geometry (is the postgis extension installed?)");
            }

            var attributes = new Dictionary<string, object?>(attributeOrdinals.Count, StringComparer.Ordinal);
            foreach (var (ordinal, name) in attributeOrdinals)
            {
                attributes[name] = ReadAttribute(reader, ordinal, name);
            }

            features.Add(new SourceFeature(geometry, attributes));
        }

        return features;
    }

    private object? ReadAttribute(NpgsqlDataReader reader, int ordinal, string name)
    {
        if (reader.IsDBNull(ordinal))
        {
            return null;
        }

        try
        {
            return reader.GetValue(ordinal);
        }
        catch (InvalidCastException ex)
        {
            throw Failure($"column \"{name}\" of type {reader.GetDataTypeName(ordinal)} cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The sync API takes no token: while the registration lives, a cancellation sends the server a cancel request
    /// for the running command, and ReadAll turns the resulting error into an OperationCanceledException.
    /// Dispose it after the reader.
    /// </summary>
    private static CancellationTokenRegistration CancelOnToken(NpgsqlCommand command, CancellationToken cancellationToken) =>
        cancellationToken.UnsafeRegister(static state => ((NpgsqlCommand)state!).Cancel(), command);

    private InvalidOperationException Failure(string cause, Exception? inner = null) =>
        new($"PostGIS layer {Description}: {cause}", inner);

    private static string QualifiedName(string? schema, string table) =>
        schema is null ? QuoteIdentifier(table) : QuoteIdentifier(schema) + "." + QuoteIdentifier(table);

    private static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string Describe(string table, NpgsqlConnectionStringBuilder builder)
    {
        var description = new StringBuilder(table).Append('@').Append(string.IsNullOrEmpty(builder.Host) ? "localhost" : builder.Host);
        description.Append(':').Append(builder.Port.ToString(CultureInfo.InvariantCulture));
        description.Append('/').Append(builder.Database ?? builder.Username ?? "?");
        return description.ToString();
    }

    private static string Cause(Exception ex)
    {
        if (ex is PostgresException postgres)
        {
            return postgres.MessageText;
        }

        var cause = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            var message = inner is PostgresException innerPostgres ? innerPostgres.MessageText : inner.Message;
            if (!cause.EndsWith(message, StringComparison.Ordinal))
            {
                cause += ": " + message;
            }
        }

        return cause;
    }

    [GeneratedRegex("^(?:(?<schema>[A-Za-z0-9_]+)\\.)?(?<table>[A-Za-z0-9_]+)\\z", RegexOptions.CultureInvariant)]
    private static partial Regex TableName();

    [GeneratedRegex("^[A-Za-z0-9_]+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
