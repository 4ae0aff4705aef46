import Archive
import Foundation
import LibPQ

/// Writes a plain SQL script of one database, like `pg_dump --format=plain`, through libpq.
///
/// Everything is read in one `REPEATABLE READ, READ ONLY` transaction, so the script shows one moment
/// in time; every dumped table is locked `ACCESS SHARE` (with `DumpOptions.lockTimeout`) before any
/// `pg_get_*def` call. The script restores with `psql -X -v ON_ERROR_STOP=1 --single-transaction`.
/// - Important: Uses the connection exclusively for the duration of `dump`; not thread-safe.
public final class PostgresDumper {
    private let connection: Connection
    private let options: DumpOptions

    /// Creates a dumper for the database `connection` is attached to.
    public init(connection: Connection, options: DumpOptions = DumpOptions()) {
        self.connection = connection
        self.options = options
    }

    /// Dumps the database to `sink` (a gzip writer, a file, a buffer in tests), calling `progress` with the byte count
    /// so far; returns row counts. The bytes handed to `sink` are valid only during its `write`.
    ///
    /// On failure the error is thrown and the script lacks its completion marker, so it is never
    /// mistaken for a good dump.
    public func dump(to sink: any ByteSink, progress: ((UInt64) -> Void)? = nil) throws -> DumpSummary {
        let out = ScriptWriter(sink: sink, progress: progress)
        // Inside a caller's transaction BEGIN would be ignored, and with it the snapshot's isolation.
        guard !connection.isInTransaction else {
            throw PostgresError(kind: .usage, message: "the connection is inside a transaction; the dump needs its own",
                                context: connection.redactedTarget)
        }
        do {
            try step("starting the snapshot") {
                try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                // SET LOCAL: the caller's session settings come back when the transaction ends.
                try connection.execute("""
                    SET LOCAL client_encoding = 'UTF8';
                    SET LOCAL DateStyle = ISO;
                    SET LOCAL IntervalStyle = postgres;
                    SET LOCAL extra_float_digits = 3;
                    SET LOCAL statement_timeout = 0;
                    SET LOCAL idle_in_transaction_session_timeout = 0;
                    SET LOCAL row_security = off;
                    -- The catalog queries' costs pass jit_above_cost on a database of thousands of objects, and compiling
                    -- them took longer than running them (0.3-0.5 s for the pg_init_privs query alone).
                    SET LOCAL jit = off;
                    SET LOCAL lock_timeout = \(SQLText.literal(options.lockTimeout));
                    SELECT pg_catalog.set_config('search_path', '', true);
                    """)
                if Self.hasMergeRightAntiJoinBug(serverVersion: connection.serverVersionNumber) {
                    try connection.execute("SET LOCAL enable_mergejoin = off")
                }
            }
            let summary = try dumpInTransaction(out)
            _ = try? connection.execute("COMMIT")
            return summary
        } catch {
            if connection.isOpen { _ = try? connection.execute("ROLLBACK") }
            throw error
        }
    }

    private func dumpInTransaction(_ out: ScriptWriter) throws -> DumpSummary {
        // 1. Lock every relation we will read, before any pg_get_*def call looks at them.
        let lockList = try step("listing tables") { try connection.execute(CatalogQueries.relationsToLock) }
        var relationOids: [UInt32] = []
        var sequenceOids: [UInt32] = []
        for row in lockList.rows {
            let qname = try row.string("qname")
            let kind = try row.string("relkind")
            // LOCK TABLE takes plain and partitioned tables only (as pg_dump locks); views and matviews read them.
            if kind == "r" || kind == "p" {
                try step("locking table \(SQLText.commentSafe(qname))") {
                    try connection.execute("LOCK TABLE \(qname) IN ACCESS SHARE MODE")
                }
            }
            if kind == "S" { sequenceOids.append(try row.oid("oid")) } else { relationOids.append(try row.oid("oid")) }
        }
        let catalog = try step("reading the catalog") {
            try Catalog.read(connection, relationOids: relationOids, sequenceOids: sequenceOids, options: options)
        }
        let serverVersion = connection.serverVersion
        let stamp = ISO8601DateFormatter().string(from: Date())

        // 2. Header: the settings pg_dump's plain format starts with.
        try out.write("""
            --
            -- PostgreSQL database dump (vaultops)
            --

            -- Dumped from database version \(SQLText.commentSafe(serverVersion))
            -- Started on \(stamp)

            SET statement_timeout = 0;
            SET lock_timeout = 0;
            SET idle_in_transaction_session_timeout = 0;
            SET client_encoding = 'UTF8';
            SET standard_conforming_strings = on;
            SELECT pg_catalog.set_config('search_path', '', false);
            SET check_function_bodies = false;
            SET xmloption = content;
            SET client_min_messages = warning;
            SET row_security = off;

            SET default_tablespace = '';

            SET default_table_access_method = heap;


            """)

        for skipped in catalog.skipped {
            try out.write("-- WARNING: not dumped (unsupported object kind): \(SQLText.commentSafe(skipped))\n")
        }
        if !catalog.skipped.isEmpty { try out.write("\n") }

        // 3. Pre-data in dependency order.
        for item in catalog.preData { try out.write(item) }

        // 4. Data: one COPY block per table, then every sequence's position, then the large objects.
        var counts: [String: Int64] = [:]
        var largeObjectGrants: [String] = []
        if options.includeData {
            for table in catalog.dataTables {
                try out.write(SQLText.header(name: table.name, type: "TABLE DATA", schema: table.schema, owner: table.owner))
                try out.write("COPY \(table.qname) \(table.copyColumns) FROM stdin;\n")
                let rows = try step("copying table \(SQLText.commentSafe(table.qname))") {
                    try connection.copyOut(table.copyOut) { chunk in
                        try out.write(chunk)
                    }
                }
                try out.write("\\.\n\n\n")
                counts["\(table.schema).\(table.name)"] = rows
            }
            for sequence in catalog.sequences {
                let state = try step("reading sequence \(SQLText.commentSafe(sequence.qname))") {
                    try connection.execute("SELECT last_value, is_called FROM \(sequence.qname)")
                }
                let row = state.rows[0]
                try out.write(SQLText.header(name: sequence.name, type: "SEQUENCE SET", schema: sequence.schema, owner: sequence.owner))
                try out.write("SELECT pg_catalog.setval(\(SQLText.literal(sequence.qname)), \(try row.string("last_value")), \(try row.bool("is_called") ? "true" : "false"));\n\n\n")
            }
            // 4b. Large objects: created, owned and filled after the tables' data (as pg_dump 17+ writes them).
            largeObjectGrants = try step("dumping large objects") {
                try LargeObjects.write(connection, includeOwners: options.includeOwners, to: out)
            }
        }

        // 5. Post-data, then privileges, then materialized view contents.
        for item in catalog.postData { try out.write(item) }
        if options.includePrivileges {
            for item in catalog.privileges { try out.write(item) }
            for item in largeObjectGrants { try out.write(item) }
        }
        for item in catalog.afterPrivileges { try out.write(item) }
        if options.includeData {
            for item in catalog.refreshes { try out.write(item) }
        }
        try out.write("--\n-- PostgreSQL database dump complete (vaultops)\n--\n\n-- Completed on \(ISO8601DateFormatter().string(from: Date()))\n\(dumpCompletionMarker)\n")
        try out.flush()
        return DumpSummary(tables: counts, serverVersion: serverVersion, bytes: out.bytesWritten, skipped: catalog.skipped)
    }

    /// Whether the server is a PostgreSQL 16 before 16.4, whose Merge Right Anti Join plans lose rows when the
    /// outer side repeats a join key (fixed in 16.4).
    ///
    /// The catalog queries' `NOT EXISTS (… pg_depend …)` filters are such anti joins, and pg_depend repeats
    /// keys (a range type's multirange cast has three internal dependencies): depending on the statistics,
    /// whole objects went missing from the dump without an error. The dump turns merge joins off there.
    static func hasMergeRightAntiJoinBug(serverVersion: Int) -> Bool {
        (160000..<160004).contains(serverVersion)
    }

    /// Runs `body`, adding `what` to the context of any PostgreSQL error it throws.
    @discardableResult
    private func step<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError {
            var error = error.adding(context: what)
            if error.kind == .lockTimeout {
                error.hint = (error.hint.map { $0 + " " } ?? "")
                    + "Another session holds a conflicting lock (e.g. ACCESS EXCLUSIVE); retry later or raise the lock timeout (now \(options.lockTimeout))."
            }
            throw error
        }
    }
}

@available(*, unavailable)
extension PostgresDumper: Sendable {}
