import Foundation

/// The project's PostgreSQL fixture (`Fixtures/postgres`), loaded the one way every suite that needs it loads it.
public enum PostgresFixture {
    /// `Fixtures/postgres`.
    public static var folder: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/postgres")
    }

    /// The fixture's parts that need a newer server, by the first major version that has what they create.
    public static var versionParts: [(major: Int, file: URL)] {
        [(17, folder.appendingPathComponent("fixture-17.sql")), (18, folder.appendingPathComponent("fixture-18.sql"))]
    }

    /// A fresh database on `server` with `fixture.sql` loaded, then `fixture-kinds.sql` when `kinds` (the object kinds
    /// only the dump suites load), then the parts for `version` (default: the server's own major version).
    ///
    /// When `server` or one of `alike` (the server a dump goes to, or the one a reference copy stands for) has no
    /// contrib extensions, the fixture is made without them (a stand-in domain for citext); when one has no ICU, without
    /// the ICU collation, so the database can be restored on each of them.
    public static func loadedDatabase(on server: PostgresServer, alike: [PostgresServer] = [], version: Int? = nil,
                                      kinds: Bool = false, label: String = "fixture") throws -> String {
        let db = try server.freshDatabase(label)
        var options: Set<String> = []
        for other in [server] + alike {
            if try other.psql("SELECT count(*) FROM pg_catalog.pg_available_extensions WHERE name = 'citext'") == "0" {
                options.insert("-c vaultops.fixture_contrib=off")
            }
            if try !other.hasICU() { options.insert("-c vaultops.fixture_icu=off") }
        }
        var files = [folder.appendingPathComponent("fixture.sql")]
        if kinds { files.append(folder.appendingPathComponent("fixture-kinds.sql")) }
        files += versionParts.filter { (version ?? server.major) >= $0.major }.map(\.file)
        let environment = options.isEmpty ? nil : ["PGOPTIONS": options.sorted().joined(separator: " ")]
        for file in files {
            let r = try runProcess(server.tool("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", try server.url(database: db),
                                                         "-f", file.path], environment: environment)
            guard r.status == 0 else {
                throw TestSupportError("loading \(file.lastPathComponent) into \(db) on \(server) failed: \(r.stderr)")
            }
        }
        return db
    }
}

extension PostgresServer {
    /// Whether this server was built with ICU (initdb then makes the `*-x-icu` collations).
    public func hasICU() throws -> Bool {
        try psql("SELECT count(*) > 0 FROM pg_catalog.pg_collation WHERE collprovider = 'i' AND collname LIKE '%-x-icu'") == "t"
    }

    /// Drops `database` (made by `freshDatabase`), closing any connection still open to it.
    public func dropDatabase(_ database: String) throws {
        try psql("DROP DATABASE IF EXISTS \"\(database)\" WITH (FORCE)")
    }
}
