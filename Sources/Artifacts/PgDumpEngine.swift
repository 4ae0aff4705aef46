import Archive
import Foundation
import LibPQ
import PostgresDump
import PostgresRestore
import VaultopsCore

/// `backup postgres --engine pg_dump`: runs the installed `pg_dump` (plain format) and streams its output
/// through the artifact pipeline (parallel gzip, `.partial`, manifest).
///
/// What the manifest lacks compared with the native engine: per-table row counts (pg_dump does not report
/// them), so `verify --deep` cannot compare them. The password goes to the child in `PGPASSWORD`, never in
/// its arguments.
enum PgDumpEngine {
    /// The manifest's `extra` keys this engine writes.
    static let engineKey = "engine"
    static let rowCountsKey = "row_counts"

    /// Dumps with `program` (nil: the best one installed for the server's version).
    static func run(connection conninfo: String, options: BackupOptions, dumpOptions: DumpOptions,
                    program: String?, now: Date) throws -> BackupResult {
        let name = options.name ?? ArtifactName.defaultSource(kind: .postgres, path: "")
        try ArtifactWriter.prepareOutputDirectory(options.outputDirectory)
        let (serverMajor, serverVersion) = try {
            let connection = try Connection(conninfo)
            return (connection.serverVersionNumber / 10000, connection.serverVersion)
        }()
        let chosen = try pick(program: program, serverMajor: serverMajor, serverVersion: serverVersion)
        let invocation = try PgDumpInvocation.make(conninfo: conninfo, options: dumpOptions)
        let redacted = Redacted.connectionString(conninfo)
        return try ArtifactWriter.write(kind: .postgres, sourceName: name, options: options, now: now) { sink in
            let indexing = DumpIndexingSink(sink, name: name)
            let filter = RestrictLineFilter(indexing)
            try PgDumpProcess.run(path: chosen.path, invocation: invocation, into: filter)
            try filter.finish()
            var content = ProducedContent(source: redacted, serverVersion: "PostgreSQL \(serverVersion)", tables: nil,
                                          extra: [engineKey: "pg_dump \(chosen.version) (\(chosen.path))",
                                                  rowCountsKey: "not recorded: pg_dump does not report them"])
            content.dumpData = indexing.finish().map(PartialDumpRestore.indexEntries)
            return content
        }
    }

    /// The program at `program` (checked to be new enough), or the best one found on this machine.
    static func pick(program: String?, serverMajor: Int, serverVersion: String) throws -> PgDumpProgram {
        let paths = program.map { [$0] }
            ?? PgDumpProgram.candidatePaths(environmentPath: ProcessInfo.processInfo.environment["PATH"])
        var found: [PgDumpProgram] = []
        for path in paths {
            if program != nil, !FileManager.default.isExecutableFile(atPath: path) {
                throw ArtifactError.failed("--pg-dump \(path): no such program (it does not exist or is not executable)")
            }
            guard let result = try? runQuick(path, ["--version"]),
                  let parsed = PgDumpProgram.parseVersion(result) else {
                if program != nil { throw ArtifactError.failed("--pg-dump \(path): not a pg_dump program (its --version says no PostgreSQL version)") }
                continue
            }
            found.append(PgDumpProgram(path: path, major: parsed.major, version: parsed.version))
        }
        return try PgDumpProgram.choose(from: found, serverMajor: serverMajor, serverVersion: serverVersion)
    }

    /// The standard output of a short command, or nil when it does not start or fails.
    private static func runQuick(_ path: String, _ arguments: [String]) throws -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The arguments and environment pg_dump gets: the connection without its password in `-d`, the password in
/// `PGPASSWORD`, and the dump options spelled as pg_dump's flags.
struct PgDumpInvocation: Equatable {
    var arguments: [String]
    var environment: [String: String]

    /// Splits `conninfo` with libpq's own parser, so every form libpq accepts (URI, keywords) reaches pg_dump intact.
    static func make(conninfo: String, options: DumpOptions) throws -> PgDumpInvocation {
        guard var parsed = ConnectionInfo.parse(conninfo) else {
            throw ArtifactError.failed("--engine pg_dump: libpq cannot parse the connection string \(ConnectionInfo.redacted(conninfo))")
        }
        var environment: [String: String] = [:]
        if let password = parsed.removeValue(forKey: "password") { environment["PGPASSWORD"] = password }
        let keywords = parsed.sorted { $0.key < $1.key }.map { "\($0.key)=\(quoted($0.value))" }.joined(separator: " ")
        var arguments = ["--format=plain", "--no-password", "--lock-wait-timeout=\(options.lockTimeout)"]
        if !options.includeOwners { arguments.append("--no-owner") }
        if !options.includePrivileges { arguments.append("--no-privileges") }
        if !options.includeData { arguments.append("--schema-only") }
        arguments += ["--dbname", keywords]
        return PgDumpInvocation(arguments: arguments, environment: environment)
    }

    /// A libpq keyword value in single quotes, `\` and `'` escaped.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
