import Foundation

/// What one artifact of a whole-server PostgreSQL backup (`backup postgres --all`, `postgres_all:`) holds.
public enum ClusterRole: Sendable, Hashable, CustomStringConvertible {
    /// Roles, memberships, role and database settings, tablespaces, `CREATE DATABASE` properties.
    case globals
    /// One database's dump.
    case database(String)

    public var description: String {
        switch self {
        case .globals: "globals"
        case let .database(name): "database \(name)"
        }
    }
}

/// The names and manifest entries of a whole-server backup's artifacts: one place for both.
///
/// A server backed up as `NAME` gives `NAME_globals_<date>.sql.gz` and `NAME_<db>_<date>.sql.gz` per database.
/// The file name is for people and for retention (each database is its own source name, so each keeps its own
/// history); what ties the set together is the manifest: `cluster_source` (NAME), `cluster_role` (`globals` or
/// `database`), `cluster_database` (the real database name) and `cluster_run` (the run's start, the same in every
/// artifact of one backup). `restore --all` reads those, never the file name, to find a set.
///
/// A database name that cannot stand in a file name as it is (characters outside `[A-Za-z0-9._-]`, or the
/// reserved `globals`) is written in an escaped form: the unusable characters become `_` and `-x` plus a hash of
/// the real name follows, so two such names never share a file name (`my db` → `my_db-x1f0c…`).
public enum ClusterArtifacts {
    /// The manifest `extra` keys.
    public static let sourceKey = "cluster_source"
    public static let roleKey = "cluster_role"
    public static let databaseKey = "cluster_database"
    public static let runKey = "cluster_run"
    /// The globals artifact's record of whether the roles' password hashes are in it (`included` or `left out`).
    public static let passwordsKey = "role_passwords"
    /// The part of the globals artifact's name after the source name.
    public static let globalsPart = "globals"

    /// The source name (artifact name prefix) of `role` in the backup named `name`.
    public static func sourceName(_ name: String, _ role: ClusterRole) -> String {
        switch role {
        case .globals: name + "_" + globalsPart
        case let .database(db): name + "_" + namePart(database: db)
        }
    }

    /// How `database` appears in an artifact name: itself when it can, else its escaped form.
    public static func namePart(database: String) -> String {
        let plain = database.unicodeScalars.allSatisfy(ArtifactName.isAllowed)
        if plain, !database.isEmpty, database != globalsPart, database != ".", database != ".." { return database }
        let kept = String(String.UnicodeScalarView(database.unicodeScalars.map { ArtifactName.isAllowed($0) ? $0 : "_" }))
        return kept + "-x" + fnv1a(database)
    }

    /// The manifest `extra` entries of `role` in the backup named `name` that started at `run`.
    public static func manifestEntries(_ name: String, _ role: ClusterRole, run: Date) -> [String: String] {
        var entries = [sourceKey: name, runKey: Manifest.timestamp(run)]
        switch role {
        case .globals:
            entries[roleKey] = globalsPart
        case let .database(db):
            entries[roleKey] = "database"
            entries[databaseKey] = db
        }
        return entries
    }

    /// The backup name, role and run a manifest records, or nil when it is not part of a whole-server backup.
    public static func member(of manifest: Manifest) -> (name: String, role: ClusterRole, run: String)? {
        guard let extra = manifest.extra, let name = extra[sourceKey], let run = extra[runKey] else { return nil }
        switch extra[roleKey] {
        case globalsPart?: return (name, .globals, run)
        case "database"?:
            guard let db = extra[databaseKey] else { return nil }
            return (name, .database(db), run)
        default: return nil
        }
    }

    /// 64-bit FNV-1a of the UTF-8 bytes, as 16 hex digits: stable across runs and hosts (unlike `Hasher`).
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
