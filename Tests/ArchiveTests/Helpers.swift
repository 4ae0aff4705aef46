import Foundation
import Testing
import TestSupport
@testable import Archive

/// Deterministic pseudo-random bytes (xorshift64*), so a failure reproduces.
func randomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed | 1
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        var word = state &* 0x2545_F491_4F6C_DD1D
        for _ in 0..<8 where i < count {
            out[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            i += 1
        }
    }
    return out
}

/// Compressible text of about `count` bytes.
func textBytes(_ count: Int) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(count + 100)
    var line = 0
    while out.count < count {
        out += Array("INSERT INTO work_orders VALUES (\(line), 'pump \(line % 97) inspected', '2025-01-\(line % 28 + 1)');\n".utf8)
        line += 1
    }
    return Array(out.prefix(count))
}

/// Single-quotes `s` for bash.
func q(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

/// Runs a bash command that must succeed; fails the test with its stderr otherwise.
@discardableResult
func sh(_ command: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
    let result = try shell(command)
    if result.status != 0 {
        Issue.record("command failed (\(result.status)): \(command)\n\(result.stderr)", sourceLocation: sourceLocation)
        throw TestSupportError("command failed: \(command): \(result.stderr)")
    }
    return result
}

/// Gzips `input` with our writer into a new file at `path`, writing in pieces of `piece` bytes.
@discardableResult
func ourGzip(_ input: [UInt8], level: Int = 6, jobs: Int = 1, engine: DeflateEngine = .libdeflate, to path: String,
             piece: Int = 100_003) throws -> GzipWriter {
    let file = try FileSink(path: path)
    let gzip = try GzipWriter(sink: file, level: level, jobs: jobs, engine: engine)
    var offset = 0
    while offset < input.count {
        let end = min(input.count, offset + piece)
        try gzip.write(Array(input[offset..<end]))
        offset = end
    }
    try gzip.finish()
    try file.close()
    return gzip
}

func readFile(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The error `body` throws, which must be an `ArchiveError` (or an extraction stopped midway by one).
func archiveError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> ArchiveError? {
    do {
        try body()
        Issue.record("expected an ArchiveError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as ArchiveError {
        return error
    } catch let failure as ExtractionFailure where failure.underlying is ArchiveError {
        // An extraction that stopped midway wraps the cause with what it had restored.
        return failure.underlying as? ArchiveError
    } catch {
        Issue.record("expected an ArchiveError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Every path below `root` (relative, sorted), for "nothing was written" checks.
func tree(_ root: String) throws -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
    return (enumerator.allObjects as? [String] ?? []).sorted()
}

/// lstat of `path`, failing the test when it does not exist.
func lstatOf(_ path: String) throws -> stat {
    var st = stat()
    guard lstat(path, &st) == 0 else { throw TestSupportError("lstat \(path): errno \(errno)") }
    return st
}
