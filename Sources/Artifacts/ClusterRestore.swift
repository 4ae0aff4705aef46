import Foundation
import PostgresRestore
import VaultopsCore

/// `restore --all NAME_globals_<date>.sql.gz --to URL`: a whole-server backup put back onto a server.
///
/// The set is what the globals artifact's manifest names: every artifact beside it whose manifest has the same
/// `cluster_source` and `cluster_run` (file names are not trusted for that; see `ClusterArtifacts`). The globals
/// are restored first (roles, tablespaces, and the databases created with their properties), then each database
/// into the database of its name, each in its own transaction under the usual rules (one that exists and holds
/// tables is refused unless `--clean` or `--force`). Every database is attempted; the failures are named at the end.
public enum ClusterRestore {
    /// One artifact of a set.
    public struct Member: Sendable, Equatable {
        public var role: ClusterRole
        public var artifact: URL
    }

    /// The set `globals` belongs to, globals first, then the databases by name.
    public static func findSet(globals: URL) throws -> [Member] {
        let manifest = try Manifest.load(from: Manifest.sidecarURL(for: globals))
        guard let head = ClusterArtifacts.member(of: manifest), head.role == .globals else {
            throw RestoreRequestError("restore --all takes the globals artifact of a whole-server backup (NAME_globals_<date>.sql.gz); "
                                      + "\(globals.lastPathComponent)'s manifest does not name it one")
        }
        let folder = globals.deletingLastPathComponent()
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        var databases: [String: Member] = [:]
        for name in names {
            guard let parsed = ArtifactName.parse(name), parsed.isManifest, !parsed.isPartial,
                  parsed.source.hasPrefix(head.name + "_"),
                  let other = try? Manifest.load(from: folder.appendingPathComponent(name)),
                  let member = ClusterArtifacts.member(of: other), member.name == head.name, member.run == head.run,
                  case let .database(db) = member.role else { continue }
            let artifact = folder.appendingPathComponent(parsed.artifactFileName)
            guard FileManager.default.fileExists(atPath: artifact.path) else { continue }
            if let seen = databases[db] {
                throw ArtifactError.failed("two artifacts of database \(db) in the set: \(seen.artifact.lastPathComponent) and \(artifact.lastPathComponent)")
            }
            databases[db] = Member(role: .database(db), artifact: artifact)
        }
        return [Member(role: .globals, artifact: globals)] + databases.keys.sorted().map { databases[$0]! }
    }

    /// Restores the whole-server backup whose globals artifact is `globals` onto the server `conninfo` names: the
    /// globals with everything (roles, tablespaces, databases created with their properties), then each database.
    /// `tablespaceLocations` maps a source tablespace folder to the target's (`--tablespace-mapping OLD=NEW`).
    public static func run(globals: URL, to conninfo: String, request: RestoreRequest,
                           tablespaceLocations: [String: String] = [:]) throws -> RestoreReport {
        Redacted.register(connection: conninfo)
        let set = try findSet(globals: globals)
        if let encrypted = set.first(where: { $0.artifact.lastPathComponent.hasSuffix(ArtifactName.encryptedSuffix) }) {
            throw RestoreRequestError("restore --all does not decrypt yet: \(encrypted.artifact.lastPathComponent) is encrypted "
                                      + "(restore each database's artifact with --identity instead)")
        }
        for member in set {
            let report = Verifier.verify(member.artifact)
            guard report.ok else {
                throw ArtifactError.verification(path: member.artifact.path,
                                                  reason: report.problems.joined(separator: "; ") + "; nothing was restored")
            }
        }
        var lines = ["restoring \(set.count - 1) database(s) and the globals of \(globals.lastPathComponent) into \(Redacted.connectionString(conninfo))"]
        let report = try GlobalsRestorer.restore(script: PostgresDumpRestore.scriptInput(for: globals), to: conninfo, mode: .everything,
                                                 options: GlobalsRestoreOptions(tablespaceLocations: tablespaceLocations,
                                                                               noOwner: request.noOwner,
                                                                               noPrivileges: request.noPrivileges))
        lines += describe(report)
        do {
            lines += try restoreDatabases(set, to: conninfo, options: request.postgresOptions)
        } catch let error as ClusterRestoreError {
            throw ClusterRestoreError(lines: lines + error.lines, failed: error.failed)
        }
        return RestoreReport(lines: lines)
    }

    /// The globals restore's lines for the report.
    static func describe(_ report: GlobalsRestoreReport) -> [String] {
        func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }
        return ["globals: roles created: \(list(report.rolesCreated)); altered: \(list(report.rolesAltered))",
                "globals: tablespaces created: \(list(report.tablespacesCreated))",
                "globals: databases created: \(list(report.databasesCreated)); already there: \(list(report.databasesExisting))"]
            + report.notes.map { "globals: note: \($0)" }
    }

    /// Restores every database member of `set` into the server `conninfo` names (each into the database of its name);
    /// returns a line per database. Throws after all were attempted when any failed, naming each.
    static func restoreDatabases(_ set: [Member], to conninfo: String, options: RestoreOptions) throws -> [String] {
        var lines: [String] = []
        var failed: [String] = []
        for member in set {
            guard case let .database(db) = member.role else { continue }
            do {
                let target = try ConnectionString.replacingDatabase(in: conninfo, with: db)
                let summary = try PostgresDumpRestore.restore(member.artifact, targetURL: target, options: options)
                lines.append("database \(db): restored \(member.artifact.lastPathComponent): \(summary)")
            } catch {
                lines.append("database \(db): FAILED: \(Redacted.text(String(describing: error)))")
                failed.append(db)
            }
        }
        if !failed.isEmpty {
            throw ClusterRestoreError(lines: lines, failed: failed)
        }
        return lines
    }
}

/// Some databases of a whole-server restore failed: the per-database report and the failed names.
public struct ClusterRestoreError: Error, CustomStringConvertible {
    public let lines: [String]
    public let failed: [String]

    public var description: String {
        (lines + ["\(failed.count) database(s) not restored: \(failed.joined(separator: ", "))"]).joined(separator: "\n")
    }
}
