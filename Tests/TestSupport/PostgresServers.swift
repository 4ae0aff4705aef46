import Foundation

/// One of the throwaway PostgreSQL servers that `.ci/pg-start-all` runs, one per major version.
///
/// Its own `psql` and `pg_dump` (from `VAULTOPS_TEST_PG_BINS`) are used with it, because pg_dump refuses
/// a server newer than itself.
public struct PostgresServer: Sendable, CustomStringConvertible {
    /// The major version (15, 16, …).
    public let major: Int
    /// The superuser URL of the maintenance database, nil when the server was expected and is missing.
    let admin: String?
    /// The folder with this version's client programs, when known.
    public let bin: String?

    public var description: String { "PostgreSQL \(major)" }

    /// The superuser URL of the maintenance database; throws, naming the version, when the server is missing.
    public func adminURL() throws -> String {
        guard let admin else {
            throw TestSupportError("PostgreSQL \(major) is expected in CI but VAULTOPS_TEST_PG_URLS has no \(major)=URL: "
                                   + "start the servers with `source .ci/pg-start-all` (bash .ci/run does this)")
        }
        return admin
    }

    /// The URL of `database` on this server.
    public func url(database: String) throws -> String {
        let admin = try adminURL()
        guard let slash = admin.range(of: "/", options: .backwards) else { throw TestSupportError("bad URL for \(self)") }
        return String(admin[..<slash.upperBound]) + database
    }

    /// The path of a client program (`psql`, `pg_dump`) of this version, else the one in PATH.
    public func tool(_ name: String) -> String {
        guard let bin else { return name }
        return URL(fileURLWithPath: bin).appendingPathComponent(name).path
    }

    /// Runs SQL with this version's psql against `database` (default: the maintenance database), stopping on the first error.
    @discardableResult
    public func psql(_ sql: String, database: String? = nil) throws -> String {
        let url = try database.map { try self.url(database: $0) } ?? adminURL()
        let r = try runProcess(tool("psql"), ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        guard r.status == 0 else { throw TestSupportError("psql on \(self) failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates an empty database with a unique name and returns its name.
    public func freshDatabase(_ label: String = "t") throws -> String {
        let name = "\(label.lowercased())_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased())"
        try psql("CREATE DATABASE \"\(name)\"")
        return name
    }
}

/// The PostgreSQL servers the cross-version tests run on.
///
/// `.ci/pg-start-all` exports `VAULTOPS_TEST_PG_URLS="15=URL 16=URL …"` and `VAULTOPS_TEST_PG_BINS`
/// (same form, client program folders). In CI (`CI=true`) every version of `expectedInCI` is listed
/// whether or not it is running, so a server that failed to start makes its tests fail by name instead
/// of vanishing; elsewhere the list is what is running (at least `VAULTOPS_TEST_PG_URL`'s server).
public enum PostgresServers {
    /// The major versions CI runs (Debian's 15, and 16, 17 and 18 from PyPI wheels).
    public static let expectedInCI = [15, 16, 17, 18]

    /// Every server to test on, oldest first.
    public static var all: [PostgresServer] {
        let env = ProcessInfo.processInfo.environment
        var urls = pairs(env["VAULTOPS_TEST_PG_URLS"] ?? "")
        let bins = pairs(env["VAULTOPS_TEST_PG_BINS"] ?? "")
        if urls.isEmpty, let url = env["VAULTOPS_TEST_PG_URL"], !url.isEmpty {
            // Only .ci/pg-start's single server: its version comes from its own binaries when known.
            urls[defaultMajor(bin: env["VAULTOPS_TEST_PG_BIN"]) ?? 0] = url
        }
        var majors = Set(urls.keys)
        if env["CI"] == "true" { majors.formUnion(expectedInCI) }
        if majors.isEmpty { majors = [0] } // no server at all: one entry whose tests fail saying so
        return majors.sorted().map { major in
            PostgresServer(major: major, admin: urls[major], bin: bins[major] ?? (urls.count == 1 ? env["VAULTOPS_TEST_PG_BIN"] : nil))
        }
    }

    /// Every server paired with each newer one (15→16, 15→17, …, 17→18), for dumps restored into a newer version.
    public static var upgradePairs: [(PostgresServer, PostgresServer)] {
        let servers = all
        return servers.indices.flatMap { i in servers[(i + 1)...].map { (servers[i], $0) } }
    }

    /// Parses "15=a 16=b" into [15: "a", 16: "b"].
    static func pairs(_ text: String) -> [Int: String] {
        var result: [Int: String] = [:]
        for item in text.split(separator: " ") {
            guard let eq = item.firstIndex(of: "="), let major = Int(item[..<eq]) else { continue }
            result[major] = String(item[item.index(after: eq)...])
        }
        return result
    }

    /// The major version of the `postgres` binary in `bin` ("postgres (PostgreSQL) 15.20" → 15).
    static func defaultMajor(bin: String?) -> Int? {
        guard let bin, let r = try? runProcess(URL(fileURLWithPath: bin).appendingPathComponent("postgres").path, ["--version"]),
              r.status == 0, let version = r.stdout.split(separator: " ").last else { return nil }
        return Int(version.split(separator: ".").first ?? "")
    }
}

/// pg_dump's output without comment lines and its per-run `\restrict`/`\unrestrict` keys, so two dumps compare.
public func comparablePgDumpOutput(_ output: String) -> String {
    output.split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.hasPrefix("--") && !$0.hasPrefix("\\restrict") && !$0.hasPrefix("\\unrestrict") }
        .joined(separator: "\n")
}

extension PostgresServer {
    /// `pg_dump OPTIONS` of `database` by `dumper`'s pg_dump (default: this server's own), made comparable.
    public func comparableDump(_ database: String, _ options: [String] = [], dumper: PostgresServer? = nil) throws -> String {
        let r = try runProcess((dumper ?? self).tool("pg_dump"), options + ["-d", try url(database: database)])
        guard r.status == 0 else { throw TestSupportError("pg_dump \(options.joined(separator: " ")) on \(self): \(r.stderr)") }
        return comparablePgDumpOutput(r.stdout)
    }
}
