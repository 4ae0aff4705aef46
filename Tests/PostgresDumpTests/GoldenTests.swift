import Foundation
import PostgresDump
import Testing
import TestSupport

@Suite("Golden dump")
struct GoldenTests {
    static let goldenPath = "Fixtures/postgres/golden/small-dump.sql"

    /// The script people read, checked line for line; re-record with VAULTOPS_RECORD_GOLDEN=1.
    @Test func smallDatabaseMatchesTheGoldenScript() throws {
        let db = try PostgresTestServer.freshDatabase("golden")
        try PostgresTestServer.psql("""
            CREATE SCHEMA shop;
            COMMENT ON SCHEMA shop IS 'the shop';
            CREATE TABLE shop.items (id serial PRIMARY KEY, name text NOT NULL, price numeric(8,2) CHECK (price >= 0));
            CREATE TABLE shop.sales (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                                     item_id integer NOT NULL REFERENCES shop.items(id), sold_at timestamptz NOT NULL);
            CREATE INDEX sales_item_idx ON shop.sales (item_id);
            CREATE VIEW shop.item_sales AS SELECT i.name, count(s.id) AS n FROM shop.items i LEFT JOIN shop.sales s ON s.item_id = i.id GROUP BY i.name;
            COMMENT ON TABLE shop.items IS 'things we sell';
            INSERT INTO shop.items (name, price) VALUES ('tea', 3.50), ('tab	and
            newline', NULL);
            INSERT INTO shop.sales (item_id, sold_at) VALUES (1, '2025-01-02 03:04:05+00');
            """, database: db)
        let (sink, _) = try DumpFixture.dump(db)
        let normalized = sink.text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("-- Started on") && !$0.hasPrefix("-- Completed on") && !$0.hasPrefix("-- Dumped from") }
            .joined(separator: "\n")
        let golden = try Golden.expected(normalized, at: Self.goldenPath)
        #expect(normalized == golden, "dump \(Golden.differs(Self.goldenPath))")
    }
}
