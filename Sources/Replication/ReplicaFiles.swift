import Archive
import Foundation
import SQLite
import SQLiteSnapshot
import VaultopsCore

/// File helpers shared by the replicator and the restore: gzip a file, gunzip one, a snapshot's manifest.
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

    /// The file's device and inode, which change when the database is replaced (a restore, a copy over it).
    static func identity(_ path: String) -> [Int] {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return [] }
        return [(attributes[.systemNumber] as? NSNumber)?.intValue ?? -1,
                (attributes[.systemFileNumber] as? NSNumber)?.intValue ?? -1]
    }
}

/// A WAL file open for reading: its header when the pass began, and its committed frames read in bounded chunks.
/// - Important: owns its descriptor; closing it is harmless to SQLite, which keeps no POSIX lock on the WAL file.
final class WALFile {
    let header: WALHeader
    let size: Int64
    private let handle: FileHandle

    /// Nil when the file is missing, shorter than a header or its header is not valid (SQLite then treats the WAL
    /// as empty).
    init?(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        guard let head = try handle.read(upToCount: WALHeader.size), let header = try? WALHeader.parse(head) else {
            try? handle.close()
            return nil
        }
        self.handle = handle
        self.header = header
        self.size = Int64(try handle.seekToEnd())
    }

    deinit {
        try? handle.close()
    }

    /// The committed frames from `offset` on, `checksum` being the running checksum there.
    func committedFrames(from offset: Int64, checksum: WALChecksum) throws -> WALCommittedFrames {
        try WALScanner.committedFrames(reading: handle, header: header, offset: offset, checksum: checksum)
    }

    /// The committed frames from the WAL's first frame on.
    func allCommittedFrames() throws -> WALCommittedFrames {
        try committedFrames(from: Int64(WALHeader.size), checksum: header.checksum)
    }

    /// Whether the header on disk is still the one read at open (false once the WAL has restarted).
    func headerUnchanged() throws -> Bool {
        try handle.seek(toOffset: 0)
        return (try handle.read(upToCount: WALHeader.size)).flatMap { try? WALHeader.parse($0) } == header
    }
}
