import LibPQ

/// What a dump includes and how it waits for locks.
public struct DumpOptions: Sendable {
    /// How long to wait for each table's `ACCESS SHARE` lock before failing (a PostgreSQL interval).
    ///
    /// A table held `ACCESS EXCLUSIVE` by another session (a migration, `VACUUM FULL`) makes the dump
    /// fail with a `PostgresError` of kind `.lockTimeout` naming the table instead of hanging.
    public var lockTimeout: String
    /// Whether `ALTER … OWNER TO` statements are written.
    public var includeOwners: Bool
    /// Whether `GRANT`/`REVOKE` statements are written.
    public var includePrivileges: Bool
    /// Whether table contents (COPY blocks and sequence values) are written.
    public var includeData: Bool
    /// Whether to go on (with a warning in the script and in `DumpSummary.skipped`) when the database
    /// has objects the dump cannot recreate (a subscription a non-superuser cannot read, …).
    ///
    /// Off by default: such a dump would restore into a different database, so the dump fails instead.
    /// `backup postgres --allow-incomplete` and `allow_incomplete: true` on a source turn it on.
    public var skipUnsupportedObjects: Bool

    /// Creates options; the defaults match a full `pg_dump` plain dump.
    public init(lockTimeout: String = "30s", includeOwners: Bool = true, includePrivileges: Bool = true,
                includeData: Bool = true, skipUnsupportedObjects: Bool = false) {
        self.lockTimeout = lockTimeout
        self.includeOwners = includeOwners
        self.includePrivileges = includePrivileges
        self.includeData = includeData
        self.skipUnsupportedObjects = skipUnsupportedObjects
    }
}

/// What a finished dump reports for the manifest.
public struct DumpSummary: Sendable, Equatable {
    /// Rows written per table, keyed by `schema.table` (unquoted names).
    public var tables: [String: Int64]
    /// The server's version string, e.g. "15.18 (Debian 15.18-0+deb12u1)".
    public var serverVersion: String
    /// Bytes of SQL written to the sink.
    public var bytes: UInt64
    /// Objects not in the dump because their kind is unsupported (empty unless skipping was allowed).
    public var skipped: [String]

    /// Creates a summary.
    public init(tables: [String: Int64], serverVersion: String, bytes: UInt64, skipped: [String] = []) {
        self.tables = tables
        self.serverVersion = serverVersion
        self.bytes = bytes
        self.skipped = skipped
    }
}

/// The line every complete dump ends with; restore refuses a script without it.
public let dumpCompletionMarker = "-- vaultops dump complete"
