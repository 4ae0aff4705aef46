import Archive
import Foundation
import PostgresRestore
import SQLiteSnapshot
import VaultopsCore

/// The outcome of checking one artifact.
public struct VerifyReport: Sendable {
    public let artifact: URL
    public let format: ArtifactFormat?
    public let manifest: Manifest?
    /// Problems found; empty when the artifact is good.
    public let problems: [String]
    /// What was checked, for the user.
    public let checks: [String]

    public var ok: Bool { problems.isEmpty }
}

/// `verify`: reads an artifact end to end and compares it with its manifest.
public enum Verifier {
    /// Checks `artifact`: complete gzip stream (CRC-32 and length of every member), the content's format (SQLite's
    /// header, the first tar header), SHA-256 and size against the manifest, and with `deep` the content itself
    /// (SQLite integrity_check and row counts, every tar entry by the rules restore applies, and for dumps a restore
    /// into a scratch database on `serverURL`, created and dropped, with row counts).
    public static func verify(_ artifact: URL, deep: Bool = false, serverURL: String? = nil) -> VerifyReport {
        var checks: [String] = []
        var problems: [String] = []
        let path = artifact.path
        let fileName = artifact.lastPathComponent
        if fileName.hasSuffix(".partial") {
            return VerifyReport(artifact: artifact, format: nil, manifest: nil,
                                problems: ["an unfinished backup (.partial): it was never completed and is not a backup"], checks: [])
        }
        guard let format = ArtifactFormat.of(fileName: fileName) else {
            return VerifyReport(artifact: artifact, format: nil, manifest: nil,
                                problems: ["not a vaultops artifact (expected .sql.gz, .sql, .db.gz or .tar.gz)"], checks: [])
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else {
            return VerifyReport(artifact: artifact, format: format, manifest: nil, problems: ["no such file"], checks: [])
        }
        var manifest: Manifest?
        let manifestURL = Manifest.sidecarURL(for: artifact)
        if FileManager.default.fileExists(atPath: manifestURL.path) {
            do { manifest = try Manifest.load(from: manifestURL) } catch { problems.append("manifest unreadable: \(error)") }
        }

        do {
            let hashing = HashingSource(try FileSource(path: path))
            if format.gzipped {
                let gzip = try GzipReader(source: hashing, path: path)
                try checkContent(gzip: gzip, format: format, deep: deep, artifact: artifact, manifest: manifest,
                                 checks: &checks, problems: &problems)
                // Read to the very end so that the hash covers the whole file, trailing bytes included.
                try hashing.copy(to: DiscardSink())
                checks.append("gzip stream complete, CRC-32 and length match (\(gzip.uncompressedBytes) bytes)")
                if let expected = manifest?.uncompressedBytes, expected != Int64(gzip.uncompressedBytes) {
                    problems.append("uncompressed size \(gzip.uncompressedBytes) differs from the manifest's \(expected)")
                }
            } else if format.kind == .postgres {
                checks.append(try checkDump(ScriptInput(name: path) { hashing }))
                try hashing.copy(to: DiscardSink())
            } else {
                try hashing.copy(to: DiscardSink())
            }
            let digest = hashing.finalizeHex()
            if let manifest {
                if manifest.sizeBytes != Int64(hashing.bytesRead) {
                    problems.append("size \(hashing.bytesRead) bytes differs from the manifest's \(manifest.sizeBytes)")
                }
                if manifest.sha256 != digest {
                    problems.append("SHA-256 \(digest) differs from the manifest's \(manifest.sha256)")
                } else {
                    checks.append("SHA-256 matches the manifest")
                }
            } else {
                checks.append("no manifest beside it: SHA-256 \(digest) not compared")
            }
        } catch {
            problems.append("\(error)")
        }
        if deep && format.kind == .postgres && problems.isEmpty {
            deepCheckDump(artifact, manifest: manifest, serverURL: serverURL, checks: &checks, problems: &problems)
        }
        return VerifyReport(artifact: artifact, format: format, manifest: manifest, problems: problems, checks: checks)
    }

    /// Reads the decompressed content to its end, checking what `deep` and the kind call for (at least its format).
    private static func checkContent(gzip: GzipReader, format: ArtifactFormat, deep: Bool, artifact: URL, manifest: Manifest?,
                                     checks: inout [String], problems: inout [String]) throws {
        let path = artifact.path
        if deep && format.kind == .files {
            // The rules restore applies (one function for both), so a nightly ok means restore accepts it.
            let reader = TarReader(source: gzip, path: path, stripComponents: Restorer.stripComponents(for: manifest))
            let check = try TarExtractor.check(reader)
            checks.append("tar lists \(check.entryCount) entries, every header checked, every entry passes restore's rules")
            if !check.outsideLinks.isEmpty {
                checks.append("\(check.outsideLinks.count) links point outside the folder and restore as links: "
                              + Restorer.describe(check.outsideLinks, limit: 5))
            }
        } else if deep && format.kind == .sqlite {
            try checkSQLite(gzip: gzip, artifact: artifact, manifest: manifest, checks: &checks, problems: &problems)
        } else if format.kind == .postgres {
            checks.append(try checkDump(ScriptInput(name: path) { gzip }))
        } else {
            // Even without --deep, the content must start like what the name promises.
            let head = HeadSink(limit: TarReader.blockSize)
            try gzip.copy(to: head)
            if let problem = formatProblem(format.kind, head: head.bytes) {
                problems.append(problem)
            } else {
                checks.append(format.kind == .sqlite ? "SQLite header checked" : "first tar header checked")
            }
        }
    }

    /// Why `head` (the first bytes of the uncompressed content) is not what `kind` promises, or nil.
    static func formatProblem(_ kind: ArtifactKind, head: [UInt8]) -> String? {
        switch kind {
        case .sqlite:
            return head.starts(with: Array("SQLite format 3\0".utf8)) ? nil
                : "not a SQLite database: the content does not start with SQLite's 16-byte header"
        case .files:
            guard let problem = TarReader.firstBlockProblem(head) else { return nil }
            return "not a tar archive: \(problem)"
        case .postgres:
            return nil
        }
    }

    /// Reads a SQL script to its end: it must split cleanly, use only understood meta-commands and end
    /// with its writer's completion marker (so a dump cut short is never taken for a backup).
    private static func checkDump(_ input: ScriptInput) throws -> String {
        let check = try checkScript(input)
        return "script complete (\(check.statements) statements, \(check.copyBlocks) COPY blocks, \(check.writer) marker)"
    }

    private static func deepCheckDump(_ artifact: URL, manifest: Manifest?, serverURL: String?,
                                      checks: inout [String], problems: inout [String]) {
        guard let serverURL, !serverURL.isEmpty else {
            problems.append("--deep for a dump restores it into a scratch database: give a server with --server URL or DATABASE_URL")
            return
        }
        do {
            let counts = try deepVerify(script: PostgresRestoreJob.scriptInput(for: artifact), serverURL: serverURL)
            checks.append("restored into a scratch database: \(counts.count) tables, \(counts.values.reduce(0, +)) rows")
            if let expected = manifest?.tables {
                let names = Set(expected.keys).union(counts.keys).sorted()
                var mismatches = 0
                for table in names where counts[table] != expected[table] {
                    mismatches += 1
                    problems.append("table \(table): \(counts[table].map(String.init) ?? "missing") rows restored, manifest says \(expected[table].map(String.init) ?? "no such table")")
                }
                if mismatches == 0 { checks.append("row counts of \(expected.count) tables match the manifest") }
            }
        } catch {
            problems.append("deep check: \(Redacted.text(String(describing: error)))")
        }
    }

    private static func checkSQLite(gzip: GzipReader, artifact: URL, manifest: Manifest?,
                                    checks: inout [String], problems: inout [String]) throws {
        let scratch = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("vaultops-verify-\(UUID().uuidString.prefix(8)).db")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let sink = try FileSink(path: scratch.path)
        try gzip.copy(to: sink)
        try sink.close()
        do {
            try SQLiteSnapshot.integrityCheck(path: scratch.path)
            checks.append("SQLite integrity_check ok")
        } catch {
            problems.append("SQLite integrity_check: \(error)")
            return
        }
        let counts = try SQLiteSnapshot.rowCounts(path: scratch.path)
        if let expected = manifest?.tables {
            for (table, rows) in expected.sorted(by: { $0.key < $1.key }) where counts[table] != rows {
                problems.append("table \(table): \(counts[table].map(String.init) ?? "missing") rows, manifest says \(rows)")
            }
            if problems.isEmpty { checks.append("row counts of \(expected.count) tables match the manifest") }
        }
    }
}

/// Keeps the first `limit` bytes written to it and discards the rest.
final class HeadSink: ByteSink {
    private let limit: Int
    private(set) var bytes: [UInt8] = []

    init(limit: Int) { self.limit = limit }

    func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard bytes.count < limit else { return }
        bytes += buffer.prefix(limit - bytes.count)
    }
}
