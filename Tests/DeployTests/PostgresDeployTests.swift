import Foundation
import Testing
import TestSupport

/// A release whose stage drops a column and then fails its gate, on the CI PostgreSQL server
/// (`source .ci/pg-start`; without it these tests fail).
struct SchemaSetup {
    let dir: TempDir
    let database: String
    let config: URL
    let stateDir: URL

    init(_ label: String, restoreOnRollback: String = "never", extraSQL: String = "", topLevel: String = "") throws {
        dir = try TempDir(label)
        database = try PostgresTestServer.freshDatabase(label)
        try PostgresTestServer.psql("""
            CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL, price numeric(10,2));
            INSERT INTO items SELECT g, 'item ' || g, g * 1.25 FROM generate_series(1, 200) g;
            \(extraSQL)
            """, database: database)
        let url = try PostgresTestServer.url(database: database)
        config = dir.file("vaultops.yml")
        stateDir = dir.file("state")
        try FileManager.default.createDirectory(at: dir.file("backups"), withIntermediateDirectories: true)
        // The stage command gets the URL from .env (beside the config) through deploy.env, as docker compose projects do.
        try write("APP_DATABASE_URL=\(url)\n", to: dir.file(".env"))
        try write("""
            backup_dir: \(dir.file("backups").path)
            \(topLevel)
            sources:
              - name: db
                postgres: ${APP_DATABASE_URL}
            deploy:
              state_dir: \(stateDir.path)
              backup_point: [db]
              restore_data_on_rollback: \(restoreOnRollback)
              env: [APP_DATABASE_URL]
              stop: echo "stopped for $VERSION" >> \(dir.path)/stops
              stages:
                - name: migrate
                  run: |
                    if [ "$VERSION" = 2 ]; then
                      psql -X -q -v ON_ERROR_STOP=1 -d "$APP_DATABASE_URL" -c 'ALTER TABLE items DROP COLUMN price'
                    fi
                    echo "schema at version $VERSION"
                  health:
                    command: test "$VERSION" != 2
                    retries: 0
                    interval: 100ms

            """, to: config)
    }

    func columns() throws -> String {
        try PostgresTestServer.psql("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'items'",
                                    database: database)
    }

    func priceTotal() throws -> String {
        try PostgresTestServer.psql("SELECT sum(price) FROM items", database: database)
    }

    var stops: [String] {
        ((try? String(contentsOf: dir.file("stops"), encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func run(_ arguments: [String]) throws -> ProcessResult {
        try vaultops(arguments + ["--config", config.path])
    }
}

@Suite("deploy with PostgreSQL data", .serialized)
struct PostgresDeployTests {
    @Test func rollbackWithDataBringsADroppedColumnBack() throws {
        let s = try SchemaSetup("deploypg")
        #expect(try s.priceTotal() == "25125.00")
        #expect(try s.run(["deploy", "--version", "1"]).status == 0)

        let failed = try s.run(["deploy", "--version", "2"])
        #expect(failed.status == 7, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("data left alone (restore_data_on_rollback: never"))
        #expect(try s.columns() == "id,name")

        // Without --with-data the code goes back, the data stays as it is, and the report says so.
        let codeOnly = try s.run(["rollback", "r0001"])
        #expect(codeOnly.status == 0, "\(codeOnly.stdout)\(codeOnly.stderr)")
        #expect(codeOnly.stdout.contains("data left alone: no database was restored (add --with-data to restore the backup point of r0002"))
        #expect(try s.columns() == "id,name")
        #expect(s.stops.isEmpty)

        // With --with-data back to r0001: writers stopped, then the backup point taken just before r0002.
        let withData = try s.run(["rollback", "r0001", "--with-data"])
        #expect(withData.status == 0, "\(withData.stdout)\(withData.stderr)")
        #expect(withData.stdout.contains("restoring data from the backup point of r0002"))
        #expect(withData.stdout.contains("data restored from the backup point of r0002"))
        #expect(try s.columns() == "id,name,price")
        #expect(try s.priceTotal() == "25125.00")
        #expect(s.stops == ["stopped for 1"])
        let password = try #require(URL(string: try PostgresTestServer.adminURL())?.password)
        #expect(!withData.stdout.contains(password) && !withData.stderr.contains(password))

        // The rollback took its own backup point first, so it can be undone: back to the state before it.
        let undo = try s.run(["rollback", "--with-data"])
        #expect(undo.status == 0, "\(undo.stdout)\(undo.stderr)")
        #expect(try s.columns() == "id,name")
        let (_, releases) = try releasesJSON(config: s.config)
        #expect(releases.map { $0["outcome"] as? String } == ["succeeded", "rolled_back", "succeeded", "succeeded", "succeeded"])
        #expect(releases.map { $0["action"] as? String } == ["deploy", "deploy", "rollback", "rollback", "rollback"])
    }

    @Test func restoreDataOnRollbackAlwaysRestoresDuringTheAutomaticRollback() throws {
        let s = try SchemaSetup("deploypgalways", restoreOnRollback: "always")
        #expect(try s.run(["deploy", "--version", "1"]).status == 0)
        let failed = try s.run(["deploy", "--version", "2"])
        #expect(failed.status == 7, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("data restored from the backup point"))
        #expect(try s.columns() == "id,name,price")
        #expect(try s.priceTotal() == "25125.00")
        #expect(s.stops == ["stopped for 1"])
    }

    @Test func automaticRollbackRestoresOverTextSearchOperatorsAndLargeObjects() throws {
        // What the backup point's dump creates must be dropped first (restore --clean), or the restore fails
        // with "already exists" and the data is left as the failed release made it.
        let s = try SchemaSetup("deploypgkinds", restoreOnRollback: "always", extraSQL: """
            CREATE TEXT SEARCH CONFIGURATION public.app_search (COPY = pg_catalog.english);
            CREATE FUNCTION public.int_ne(integer, text) RETURNS boolean LANGUAGE sql IMMUTABLE AS 'SELECT $1::text <> $2';
            CREATE OPERATOR public.<~> (LEFTARG = integer, RIGHTARG = text, FUNCTION = public.int_ne, NEGATOR = OPERATOR(public.<=>));
            SELECT lo_from_bytea(0, 'attachment');
            """)
        #expect(try s.run(["deploy", "--version", "1"]).status == 0)
        let failed = try s.run(["deploy", "--version", "2"])
        #expect(failed.status == 7, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stdout.contains("data restored from the backup point"), "\(failed.stdout)")
        #expect(try s.columns() == "id,name,price")
        #expect(try PostgresTestServer.psql("SELECT count(*) FROM pg_catalog.pg_largeobject_metadata", database: s.database) == "1")
        #expect(try PostgresTestServer.psql("SELECT 'public.app_search'::regconfig", database: s.database) == "app_search")
    }
}
