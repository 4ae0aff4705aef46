import Foundation
import LibPQ
@testable import Migration
import SQLite
import TestSupport
import Testing

@Suite("Large values stream through export, load and verification", .serialized)
struct LargeValueTests {
    @Test func aLargeBlobAndTextFlowWithoutWholeValueBuffers() throws {
        let dir = try TempDir("migrate-large")
        let path = dir.file("large.db").path
        let db = try SQLite.Connection(path: path)
        // 6 MB each: random bytes, and text with quotes (doubled in the CSV) and two-byte characters.
        try db.execute("""
            CREATE TABLE big (id INTEGER PRIMARY KEY, b BLOB, t TEXT, note TEXT);
            INSERT INTO big VALUES (1, randomblob(6000000), replace(replace(hex(randomblob(3000000)), 'A', '"'), 'B', 'ü'), 'first');
            INSERT INTO big VALUES (2, X'00FF', 'small "quoted"', NULL);
            """)
        let table = try #require(try SourceSchema.read(from: db).tables.first)
        var largestChunk = 0
        var csvBytes = 0
        let export = try exportTable(table, kinds: [.integer, .blob, .text, .text], db: db) { chunk in
            largestChunk = max(largestChunk, chunk.count)
            csvBytes += chunk.count
        }
        #expect(export.rows == 2)
        #expect(csvBytes > 12_000_000)
        #expect(export.peakBufferBytes <= 2 << 20, "the exporter's buffers grew to \(export.peakBufferBytes) bytes")
        #expect(largestChunk <= 1 << 20, "a chunk of \(largestChunk) bytes")

        let database = try PostgresTestServer.freshDatabase("miglarge")
        let url = try PostgresTestServer.url(database: database)
        var options = MigrationOptions(sqlitePath: path, postgresURL: url)
        options.csvDirectory = dir.file("csv").path
        let report = try Migrator.run(options)
        #expect(report.isComplete, "\(report.problems)")
        #expect(try compareEveryValue(sqlitePath: path, pg: try LibPQ.Connection(url)) == 8)

        // Verification reads the large values back as digests, not as 12 MB rows, and still sees one changed byte.
        let pg = try LibPQ.Connection(url)
        try pg.execute("SET client_encoding = 'UTF8'; SET extra_float_digits = 1; SET bytea_output = 'hex'; SET DateStyle = 'ISO, YMD'")
        let plan = planMigration(try SourceSchema.read(from: db), profiles: nil, targetSchema: "public")
        let (checksum, largestRow) = try targetChecksumMeasured(plan.tables[0], connection: pg)
        #expect(checksum.description == report.tables[0].sourceChecksum)
        #expect(largestRow <= 64 << 10, "a row of \(largestRow) bytes read back")
        try pg.execute("UPDATE big SET b = set_byte(b, 3000000, (get_byte(b, 3000000) + 1) % 256) WHERE id = 1")
        #expect(try targetChecksumMeasured(plan.tables[0], connection: pg).0.description != report.tables[0].sourceChecksum)
        try pg.execute("UPDATE big SET b = set_byte(b, 3000000, (get_byte(b, 3000000) + 255) % 256), t = t || 'x' WHERE id = 1")
        #expect(try targetChecksumMeasured(plan.tables[0], connection: pg).0.description != report.tables[0].sourceChecksum)
    }
}
