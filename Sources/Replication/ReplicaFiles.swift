import Archive
import Foundation
import SQLite
import SQLiteSnapshot
import VaultopsCore

/// File helpers shared by the replicator and the restore: gzip a file, gunzip one, read a WAL file's tail.
enum ReplicaFiles {
    /// Compresses `source` into a new file `destination`.
    static func gzip(_ source: URL, to destination: URL) throws {
        let input = try FileSource(path: source.path)
        defer { input.close() }
        let output = try FileSink(path: destination.path, replace: true)
        let gzip = try GzipWriter(sink: output, level: 6)
        _ = try input.copy(to: gzip)
        try gzip.finish()
        try output.sync()
        try output.close()
    }

    /// Decompresses `source` into a new file `destination`.
    static func gunzip(_ source: URL, to destination: URL) throws {
        let input = try GzipReader(path: source.path)
        let output = try FileSink(path: destination.path, replace: true)
        _ = try input.copy(to: output)
        try output.close()
    }

    /// The manifest of a generation's snapshot, as nightly `.db.gz` artifacts have one (so that it can be verified
    /// like them): the compressed file's size and SHA-256, the copy's size, SQLite version and row counts (before
    /// segment 0's frames), and the generation.
    static func snapshotManifest(database: URL, copy: URL, packed: URL, generation: String, started: Date,
                                 duration: TimeInterval) throws -> Manifest {
        func size(_ url: URL) throws -> Int64 {
            (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value ?? 0
        }
        return Manifest(kind: .sqlite, source: database.path, createdAt: started, artifact: packed.lastPathComponent,
                        sizeBytes: try size(packed), sha256: try sha256Hex(ofFile: packed.path), uncompressedBytes: try size(copy),
                        durationSeconds: duration, serverVersion: "SQLite \(Connection.libraryVersion)",
                        tables: try SQLiteSnapshot.rowCounts(path: copy.path), originalPath: database.path,
                        extra: ["replica_generation": generation])
    }

    /// The WAL header and the bytes from `offset` to the end of the file at `path`; a nil header when the file is
    /// missing, shorter than a header or its header is not valid (SQLite then treats the WAL as empty).
    static func readWAL(_ path: String, from offset: Int64?) throws -> (header: WALHeader?, tail: Data, size: Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return (nil, Data(), 0) }
        defer { try? handle.close() }
        let head = try handle.read(upToCount: WALHeader.size) ?? Data()
        guard let header = try? WALHeader.parse(head) else { return (nil, Data(), Int64(head.count)) }
        let size = Int64(try handle.seekToEnd())
        guard let offset, offset < size else { return (header, Data(), size) }
        try handle.seek(toOffset: UInt64(offset))
        return (header, try handle.readToEnd() ?? Data(), size)
    }

    /// The WAL file's header now; nil when there is no valid one.
    static func readWALHeader(_ path: String) -> WALHeader? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: WALHeader.size)).flatMap { try? WALHeader.parse($0) }
    }

    /// The file's device and inode, which change when the database is replaced (a restore, a copy over it).
    static func identity(_ path: String) -> [Int] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return [] }
        return [(attributes[.systemNumber] as? NSNumber)?.intValue ?? -1,
                (attributes[.systemFileNumber] as? NSNumber)?.intValue ?? -1]
    }
}
