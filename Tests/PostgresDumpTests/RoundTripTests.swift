import Foundation
import LibPQ
import PostgresDump
import Testing
import TestSupport

@Suite("Dump round trip against the real server")
struct RoundTripTests {
    @Test func fixtureRoundTripsThroughPsql() throws {
        let source = try DumpFixture.loadedDatabase()
        let (sink, summary) = try DumpFixture.dump(source)
        let script = sink.text
        #expect(script.hasSuffix("\(dumpCompletionMarker)\n"))
        #expect(summary.bytes == UInt64(sink.data.count))
        #expect(summary.serverVersion.hasPrefix("1"))

        let dir = try TempDir("roundtrip")
        let file = dir.file("dump.sql")
        try sink.data.write(to: file)
        // For debugging a failing round trip: keep the script where the developer asked.
        if let keep = ProcessInfo.processInfo.environment["VAULTOPS_KEEP_DUMP"] { try sink.data.write(to: URL(fileURLWithPath: keep)) }
        let target = try PostgresTestServer.freshDatabase("dumpdst")
        try DumpFixture.psqlFile(file, database: target)

        let before = try DumpFixture.schemaOnly(source)
        let after = try DumpFixture.schemaOnly(target)
        if before != after {
            try before.write(to: dir.file("before.sql"), atomically: true, encoding: .utf8)
            try after.write(to: dir.file("after.sql"), atomically: true, encoding: .utf8)
            let diff = try runProcess("diff", ["-u", dir.file("before.sql").path, dir.file("after.sql").path])
            Issue.record("pg_dump --schema-only differs after restore:\n\(diff.stdout.prefix(6000))")
        }

        let sourceRows = try DumpFixture.contents(source)
        let targetRows = try DumpFixture.contents(target)
        #expect(sourceRows.keys.sorted() == targetRows.keys.sorted())
        for (table, rows) in sourceRows {
            #expect(targetRows[table] == rows, "table \(table) differs after restore")
        }
        // Row counts match the source, keyed by schema.table.
        #expect(summary.tables["app.customers"] == 3)
        #expect(summary.tables["app.values_zoo"] == 5)
        #expect(summary.tables["app.events_2024"] == 1)
        #expect(summary.tables["Mixed Case \"Schema\".Weird Table \"Q\""] == 2)
        #expect(summary.tables["app.events"] == nil) // partitioned parent: its rows are in the partitions
    }

    @Test func dumpingTwiceGivesTheSameScript() throws {
        let source = try DumpFixture.loadedDatabase()
        let (first, _) = try DumpFixture.dump(source)
        let (second, _) = try DumpFixture.dump(source)
        #expect(first.text != "")
        #expect(DumpFixture.withoutTimestamps(first.text) == DumpFixture.withoutTimestamps(second.text))
    }

    @Test func scriptLayoutFollowsPgDump() throws {
        let source = try DumpFixture.loadedDatabase()
        let (sink, _) = try DumpFixture.dump(source)
        let script = sink.text
        let lines = script.split(separator: "\n", omittingEmptySubsequences: false)
        for setting in ["SET statement_timeout = 0;", "SET lock_timeout = 0;", "SET idle_in_transaction_session_timeout = 0;",
                        "SET client_encoding = 'UTF8';", "SET standard_conforming_strings = on;",
                        "SELECT pg_catalog.set_config('search_path', '', false);", "SET check_function_bodies = false;",
                        "SET xmloption = content;", "SET client_min_messages = warning;", "SET row_security = off;"] {
            #expect(lines.contains(Substring(setting)), "missing header setting \(setting)")
        }
        // No line may start a psql meta-command except the COPY terminator.
        var inCopy = false
        for line in lines {
            if inCopy {
                if line == "\\." { inCopy = false }
                continue
            }
            if line.hasSuffix(" FROM stdin;") { inCopy = true }
            #expect(!line.hasPrefix("\\"), "meta-command line in script: \(line)")
        }
        #expect(!inCopy)
        // A name with a newline appears in a comment header without breaking the line.
        #expect(script.contains("-- Name: line break; Type: TABLE; Schema: app;"))
        func position(_ text: String) throws -> String.Index { try #require(script.range(of: text)).lowerBound }
        // Sections in pg_dump's order: pre-data, data, setval, post-data, privileges, matview refresh, marker.
        #expect(try position("CREATE TABLE app.customers") < position("COPY app.customers"))
        #expect(try position("COPY app.customers") < position("SELECT pg_catalog.setval('app.counter_seq', 160, true);"))
        #expect(try position("SELECT pg_catalog.setval") < position("ADD CONSTRAINT customers_pkey PRIMARY KEY"))
        #expect(try position("ADD CONSTRAINT customers_pkey") < position("CREATE INDEX orders_customer_idx"))
        #expect(try position("CREATE INDEX orders_customer_idx") < position("ADD CONSTRAINT orders_customer_id_fkey"))
        #expect(try position("ADD CONSTRAINT orders_customer_id_fkey") < position("CREATE TRIGGER orders_audit"))
        #expect(try position("CREATE TRIGGER orders_audit") < position("CREATE POLICY tenant_isolation"))
        #expect(try position("CREATE POLICY tenant_isolation") < position("GRANT SELECT ON TABLE app.customers TO vaultops_fixture_reader;"))
        #expect(try position("GRANT SELECT ON TABLE app.customers") < position("REFRESH MATERIALIZED VIEW app.order_stats;"))
        #expect(try position("REFRESH MATERIALIZED VIEW app.order_stats;") < position("REFRESH MATERIALIZED VIEW app.stats_of_stats;"))
        #expect(!script.contains("REFRESH MATERIALIZED VIEW app.never_filled"))
        // Dependencies: the SQL-standard function body needs its table first; the sequence precedes its table.
        #expect(try position("CREATE TABLE app.settings") < position("FUNCTION app.setting("))
        #expect(try position("CREATE SEQUENCE app.customers_id_seq") < position("CREATE TABLE app.customers"))
        #expect(try position("CREATE TABLE app.customers") < position("ALTER SEQUENCE app.customers_id_seq OWNED BY"))
        // Extension members are not dumped; the extension is.
        #expect(script.contains("CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;"))
        #expect(!script.contains("CREATE FUNCTION public.citext"))
        // Generated columns are left out of COPY column lists.
        #expect(script.contains("COPY app.orders (order_id, customer_id, net, tags, counter, placed_on) FROM stdin;"))
        // Dropped columns are gone from the table and from its COPY column list.
        #expect(script.contains("COPY app.values_zoo (id, t, b, arr, tarr, j, jb, ts, d, n, f, big) FROM stdin;"))
        #expect(lines.last == "" && lines[lines.count - 2] == Substring(dumpCompletionMarker))
    }
}
