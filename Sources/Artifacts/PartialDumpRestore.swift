import Archive
import Foundation
import LibPQ
import PostgresRestore
import VaultopsCore

/// What a look into a dump read: its entries, and how much of the file it took.
public struct DumpListing: Sendable {
    public var contents: DumpContents
    /// Bytes read from the artifact file.
    public var bytesRead: UInt64
    /// The artifact file's size.
    public var fileSize: UInt64
    /// Whether the manifest's index let the read skip the table contents.
    public var usedIndex: Bool
}

/// What `restore --table` did.
public struct PartialRestoreSummary: Sendable {
    /// The tables restored and where each went.
    public var tables: [(from: TableName, to: TableName)]
    /// Objects the tables need that the target lacked and the restore created.
    public var createdDependencies: [String]
    /// The script run's summary (rows per table, statements).
    public var restore: RestoreSummary
    /// Bytes read from the artifact file (both passes), and its size.
    public var bytesRead: UInt64
    public var fileSize: UInt64
    public var usedIndex: Bool
    /// Statements before the dump's first object (pg_dump -c's DROPs) left out: only session settings ran.
    public var leftOutOfPrelude: [String] = []

    /// The lines `restore` prints.
    public var lines: [String] {
        var lines = tables.map { from, to in
            let rows = restore.rowsPerTable[to.description] ?? restore.rowsPerTable["\(to.schema).\(to.name)"] ?? 0
            return from == to ? "restored table \(from) (\(rows) rows)" : "restored table \(from) as \(to) (\(rows) rows)"
        }
        if !createdDependencies.isEmpty { lines.append("created what the tables need: \(createdDependencies.joined(separator: ", "))") }
        if !leftOutOfPrelude.isEmpty {
            lines.append("note: left out \(leftOutOfPrelude.count) statement(s) the dump runs before its first object "
                         + "(such as \(leftOutOfPrelude[0])): a partial restore runs only the session settings there")
        }
        let share = fileSize > 0 ? Double(bytesRead) / Double(fileSize) * 100 : 0
        lines.append("read \(bytesRead) of \(fileSize) bytes of the dump (\(String(format: "%.1f", share))%)"
                     + (usedIndex ? "" : "; no block index: the whole dump was read"))
        return lines
    }
}

/// `restore DUMP --table/--schema/--list`: some tables of a dump (ours or pg_dump's plain script, gzip or not).
///
/// The dump is read twice: once for its table of contents and the definitions, then for the chosen tables'
/// contents. For our dumps whose manifest has a `dump_index` with gzip blocks, the first pass reads only the
/// parts between table contents and the second only the chosen tables' blocks, so a restore of one table reads a
/// small share of a large dump; those ranged reads check no gzip CRC or SHA-256 (they need the whole file) but
/// stop at any deflate error. Other dumps are read from the start each time (and their CRCs checked on the way).
public enum PartialDumpRestore {
    /// The table of contents of `artifact`.
    public static func list(_ artifact: URL) throws -> DumpListing {
        let (contents, reader, indexed) = try scan(artifact, keepText: false)
        return DumpListing(contents: contents, bytesRead: reader.counter.bytes, fileSize: fileSize(artifact), usedIndex: indexed)
    }

    /// Restores the tables `request` names from `artifact` into `targetURL`, in one transaction.
    ///
    /// Without `renameTo`/`intoSchema` each table replaces the live one (`DROP TABLE` without CASCADE: a view or
    /// foreign key that depends on it stops the restore, which then changes nothing). Types, domains, sequences,
    /// functions and schemas the tables need are created when the target lacks them.
    public static func restore(_ artifact: URL, targetURL: String, request: PartialRestoreRequest,
                               options: RestoreOptions) throws -> PartialRestoreSummary {
        if let conflict = request.conflict { throw RestoreRequestError(conflict) }
        let (contents, reader, indexed) = try scan(artifact, keepText: true)
        let tables = try PartialSelection.tables(contents, request: request)
        let candidates = PartialSelection.dependencyCandidates(contents, tables: tables)
        let existing = try existingObjects(candidates, targetURL: targetURL)
        var plan = try PartialSelection.plan(contents, request: request, existing: existing)
        let replaced = try PartialTargetCheck.check(contents, plan: plan, request: request, force: options.force,
                                                    connection: try Connection(targetURL))
        if request.renameTo != nil || request.intoSchema != nil, !replaced.isEmpty {
            // Beside the live table, under names that exist: --force replaces what has those names.
            let drops = replaced.map { "DROP TABLE IF EXISTS \(quoteIdentifier($0.schema)).\(quoteIdentifier($0.name));\n" }
            plan.pieces.insert(.text("\n" + drops.joined()), at: 1)
        }
        var pieces: [() throws -> any ByteSource] = []
        for piece in plan.pieces {
            switch piece {
            case .text(let text):
                pieces.append { BytesSource(text) }
            case .data(let entry, let renames):
                pieces.append { try renames.renamingCopy(try reader.source(for: entry.range), entry: entry.qualifiedName) }
            }
        }
        var opened = false
        let input = ScriptInput(name: artifact.path) {
            guard !opened else { throw ArtifactError.failed("internal: the partial script of \(artifact.path) was opened twice") }
            opened = true
            return ChainedSource(pieces)
        }
        var runOptions = options
        runOptions.force = true
        runOptions.clean = false
        runOptions.jobs = 1
        runOptions.createDatabase = false
        let summary = try ScriptRestorer(targetURL: targetURL, options: runOptions).restore(input)
        return PartialRestoreSummary(tables: Array(zip(plan.tables, plan.destinations)), createdDependencies: plan.createdDependencies,
                                     restore: summary, bytesRead: reader.counter.bytes, fileSize: fileSize(artifact),
                                     usedIndex: indexed, leftOutOfPrelude: plan.leftOutOfPrelude)
    }

    /// The manifest's index entries for a scanned script: its table contents.
    package static func indexEntries(_ contents: DumpContents) -> [DumpIndex.DataEntry] {
        contents.entries.filter(\.isData).map {
            DumpIndex.DataEntry(kind: $0.kind, schema: $0.schema, name: $0.name,
                                start: Int64($0.range.lowerBound), end: Int64($0.range.upperBound))
        }
    }

    /// Scans `artifact` for its entries; with the manifest's index, only the parts between table contents.
    static func scan(_ artifact: URL, keepText: Bool) throws -> (DumpContents, GzipRangeReader, Bool) {
        let path = artifact.path
        let gzipped = path.hasSuffix(".gz")
        let size = fileSize(artifact)
        let index = try usableIndex(artifact, size: size)
        if gzipped, let (manifest, dumpIndex) = index, !dumpIndex.blocks.isEmpty {
            let points = dumpIndex.blocks.map { GzipAccessPoint(compressed: UInt64($0[0]), uncompressed: UInt64($0[1])) }
            let reader = GzipRangeReader(path: path, layout: .indexedGzip(points: points, compressedSize: size))
            let scanner = DumpContentsScanner(name: path, keepText: keepText)
            var position: UInt64 = 0
            var ranges: [Range<UInt64>] = []
            for entry in dumpIndex.data {
                if UInt64(entry.start) > position { ranges.append(position..<UInt64(entry.start)) }
                position = UInt64(entry.end)
            }
            if UInt64(manifest.uncompressedBytes) > position { ranges.append(position..<UInt64(manifest.uncompressedBytes)) }
            for (i, range) in ranges.enumerated() {
                if i > 0 || range.lowerBound > 0 { try scanner.jump(to: range.lowerBound) }
                try feed(try reader.source(for: range), to: scanner)
            }
            var contents = try scanner.finish()
            contents.entries += dumpIndex.data.map {
                DumpEntry(kind: $0.kind, name: $0.name, schema: $0.schema, owner: nil, range: UInt64($0.start)..<UInt64($0.end))
            }
            contents.entries.sort { $0.range.lowerBound < $1.range.lowerBound }
            return (contents, reader, true)
        }
        let reader = GzipRangeReader(path: path, layout: gzipped ? .gzip : .plain)
        // The first pass reads all of it (checking every gzip member); the second reads through the same reader.
        let whole: any ByteSource = gzipped
            ? try GzipReader(source: CountingSource(try FileSource(path: path), counter: reader.counter), path: path)
            : try FileRangeSource(path: path, offset: 0, length: size, counter: reader.counter)
        let scanner = DumpContentsScanner(name: path, keepText: keepText)
        try feed(whole, to: scanner)
        return (try scanner.finish(), reader, false)
    }

    /// The manifest beside `artifact` and its index, when it has one that describes this file.
    static func usableIndex(_ artifact: URL, size: UInt64) throws -> (Manifest, DumpIndex)? {
        let url = Manifest.sidecarURL(for: artifact)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let manifest = try Manifest.load(from: url)
        guard manifest.sizeBytes == Int64(size) else {
            throw ArtifactError.verification(path: artifact.path, reason: "size \(size) bytes differs from the manifest's \(manifest.sizeBytes); nothing was restored")
        }
        return manifest.dumpIndex.map { (manifest, $0) }
    }

    private static func feed(_ source: any ByteSource, to scanner: DumpContentsScanner) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try source.read(into: buffer)
            if n == 0 { return }
            try scanner.consume(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
    }

    /// Which of `candidates` the target already has (keys of `PartialSelection.key`).
    static func existingObjects(_ candidates: [DumpEntry], targetURL: String) throws -> Set<String> {
        guard !candidates.isEmpty else { return [] }
        Redacted.register(connection: targetURL)
        let connection = try Connection(targetURL)
        let columns = candidates.enumerated().map { "\(PartialSelection.existenceCheck($1)) AS c\($0)" }
        let result = try connection.execute("SELECT " + columns.joined(separator: ", "))
        var existing = Set<String>()
        for (i, candidate) in candidates.enumerated() where result[0, i] == "t" {
            existing.insert(PartialSelection.key(candidate))
        }
        return existing
    }

    static func fileSize(_ url: URL) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }
}
