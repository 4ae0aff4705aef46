import Foundation

/// One `pg_dump` program found on this machine.
public struct PgDumpProgram: Sendable, Equatable {
    public var path: String
    /// The major version (`17` for 17.2, `9` never occurs: 13 is the oldest server vaultops supports).
    public var major: Int
    /// The whole version as `pg_dump --version` prints it (`17.2`, `18beta1`).
    public var version: String

    public init(path: String, major: Int, version: String) {
        self.path = path
        self.major = major
        self.version = version
    }

    /// The version in `pg_dump --version` output (`pg_dump (PostgreSQL) 17.2 (Debian 17.2-1.pgdg120+1)`), or nil.
    public static func parseVersion(_ output: String) -> (major: Int, version: String)? {
        guard let marker = output.range(of: "(PostgreSQL) ") else { return nil }
        let version = output[marker.upperBound...].prefix { !$0.isWhitespace }
        let digits = version.prefix { $0.isNumber }
        guard let major = Int(digits), major > 0 else { return nil }
        return (major, String(version))
    }

    /// The program to dump a server of major version `serverMajor` with: the same major when there is one,
    /// else the oldest newer one (its output is the most likely to load into older servers too).
    ///
    /// pg_dump refuses to dump a server newer than itself, so an older program is never chosen; the error
    /// names what was found and what to install.
    public static func choose(from programs: [PgDumpProgram], serverMajor: Int,
                              serverVersion: String) throws(ArtifactError) -> PgDumpProgram {
        if let same = programs.first(where: { $0.major == serverMajor }) { return same }
        if let newer = programs.filter({ $0.major > serverMajor }).min(by: { $0.major < $1.major }) { return newer }
        let found = programs.isEmpty ? "no pg_dump was found (PATH, /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin)"
            : "only " + programs.map { "pg_dump \($0.version) (\($0.path))" }.joined(separator: ", ") + " was found"
        throw ArtifactError.failed(
            "--engine pg_dump: the server runs PostgreSQL \(serverVersion) and \(found); pg_dump cannot dump a server "
            + "newer than itself. Install postgresql-client-\(serverMajor) (or newer), pass --pg-dump PATH, "
            + "or use the native engine (the default)")
    }

    /// The paths where `pg_dump` programs may be: each folder of `PATH`, then Debian's and the PGDG RPMs' folders.
    public static func candidatePaths(environmentPath: String?, fileManager: FileManager = .default) -> [String] {
        var paths = (environmentPath ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map { "\($0)/pg_dump" }
        for (root, pattern) in [("/usr/lib/postgresql", ""), ("/usr", "pgsql-")] {
            let entries = (try? fileManager.contentsOfDirectory(atPath: root)) ?? []
            for entry in entries.sorted() where pattern.isEmpty ? entry.allSatisfy(\.isNumber) : entry.hasPrefix(pattern) {
                paths.append("\(root)/\(entry)/bin/pg_dump")
            }
        }
        var seen = Set<String>()
        return paths.filter { FileManager.default.isExecutableFile(atPath: $0) && seen.insert(resolved($0)).inserted }
    }

    private static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}
