import Foundation
import Testing
import TestSupport

/// CHECK constraints added NOT VALID over rows that break them, on tables and domains, on every server version.
@Suite("NOT VALID check constraints")
struct NotValidCheckTests {
    /// They were written inside CREATE DOMAIN (a syntax error) and before the table's data (so COPY failed
    /// on the old rows); pg_dump adds them after the data, still NOT VALID, and so must we.
    @Test(arguments: PostgresServers.all)
    func notValidChecksAreAddedAfterTheData(_ server: PostgresServer) throws {
        let script = try VersionedDump.expectRoundTrip("""
            CREATE DOMAIN positive AS integer CONSTRAINT positive_valid CHECK (VALUE > -100);
            CREATE TABLE t (a integer, b positive);
            INSERT INTO t VALUES (-1, -5), (2, 3);
            ALTER TABLE t ADD CONSTRAINT a_positive CHECK (a > 0) NOT VALID;
            COMMENT ON CONSTRAINT a_positive ON t IS 'old rows are exempt';
            ALTER DOMAIN positive ADD CONSTRAINT positive_checked_later CHECK (VALUE > 0) NOT VALID;
            COMMENT ON CONSTRAINT positive_checked_later ON DOMAIN positive IS 'not yet';
            """, on: server)
        let copy = try #require(script.range(of: "COPY public.t "))
        let table = try #require(script.range(of: "ADD CONSTRAINT a_positive CHECK ((a > 0)) NOT VALID;"))
        let domain = try #require(script.range(of: "ADD CONSTRAINT positive_checked_later CHECK ((VALUE > 0)) NOT VALID;"))
        #expect(copy.lowerBound < table.lowerBound && copy.lowerBound < domain.lowerBound)
        #expect(script.contains("CONSTRAINT positive_valid CHECK ((VALUE > '-100'::integer))"))
    }
}
