import Archive
import Foundation
import VaultopsCore

/// Runs `pg_dump` and streams its standard output into a sink; its standard error is kept (the last 64 KiB)
/// for the error message.
///
/// - Important: blocking; called from the backup's own (synchronous) code, never from an actor.
enum PgDumpProcess {
    static let chunkSize = 1 << 20

    /// Runs `path` with `invocation`; throws when it cannot start, when it exits non-zero (with its redacted
    /// standard error), or when the sink fails (pg_dump is then stopped).
    static func run(path: String, invocation: PgDumpInvocation, into sink: ByteSink) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = invocation.arguments
        process.environment = ProcessInfo.processInfo.environment.merging(invocation.environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        let stderrTail = StderrTail()
        let stderrDone = DispatchSemaphore(value: 0)
        do {
            try process.run()
        } catch {
            throw ArtifactError.failed("--engine pg_dump: cannot start \(path): \(error.localizedDescription)")
        }
        // A separate thread drains standard error, so a chatty pg_dump never blocks on a full pipe.
        Thread.detachNewThread {
            stderrTail.drain(err.fileHandleForReading)
            stderrDone.signal()
        }
        do {
            let reader = out.fileHandleForReading
            while let data = try reader.read(upToCount: chunkSize), !data.isEmpty {
                try data.withUnsafeBytes { try sink.write($0) }
            }
        } catch {
            process.terminate()
            process.waitUntilExit()
            stderrDone.wait()
            throw error
        }
        process.waitUntilExit()
        stderrDone.wait()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let how = process.terminationReason == .exit ? "exited with status \(process.terminationStatus)"
                : "was killed by signal \(process.terminationStatus)"
            let message = Redacted.text(stderrTail.text, secrets: invocation.environment["PGPASSWORD"].map { [$0] } ?? [])
            throw ArtifactError.failed("pg_dump (\(path)) \(how): \(message.isEmpty ? "no message" : message)")
        }
    }
}

/// The end of a child's standard error, filled by one thread and read after it is done.
private final class StderrTail: @unchecked Sendable {
    // Written only by the draining thread; read only after the semaphore says it finished.
    private var bytes: [UInt8] = []
    private let limit = 64 * 1024

    func drain(_ handle: FileHandle) {
        while let data = try? handle.read(upToCount: 64 * 1024), !data.isEmpty {
            bytes.append(contentsOf: data)
            if bytes.count > limit { bytes.removeFirst(bytes.count - limit) }
        }
    }

    var text: String {
        String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Drops pg_dump's `\restrict KEY` line (before its first statement) and the `\unrestrict KEY` line with the
/// same key, so the artifact is a plain script with no psql meta-commands, as every `.sql.gz` is (and older
/// psql versions, which do not know these commands, can restore it).
///
/// Only a line equal to `\unrestrict` and the dump's own random key is dropped after the header: data cannot
/// forge it without knowing the key. Everything else passes through byte for byte.
final class RestrictLineFilter: ByteSink {
    private let sink: ByteSink
    private var carry: [UInt8] = []
    private var inHeader = true
    private var unrestrictLine: [UInt8]?

    init(_ sink: ByteSink) { self.sink = sink }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var start = 0
        var runStart = 0
        // Lines are judged whole: a partial last line waits in `carry` for the next chunk.
        if !carry.isEmpty {
            guard let newline = bytes.firstIndex(of: 0x0A) else { carry.append(contentsOf: bytes); return }
            carry.append(contentsOf: bytes[...newline])
            let line = carry
            carry = []
            if keep(line) { try line.withUnsafeBytes { try sink.write($0) } }
            start = newline + 1
            runStart = start
        }
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: 0x0A) else {
                try flush(bytes, runStart, start)
                carry = Array(bytes[start...])
                return
            }
            // Only a line that could be dropped is looked at closely.
            if bytes[start] == 0x5C || (inHeader && !isHeaderLine(bytes, start, newline)) {
                if !keep(Array(bytes[start...newline])) {
                    try flush(bytes, runStart, start)
                    runStart = newline + 1
                }
            }
            start = newline + 1
        }
        try flush(bytes, runStart, start)
    }

    /// Writes what is left after the last newline (pg_dump always ends with one, so normally nothing).
    func finish() throws {
        if !carry.isEmpty, keep(carry) { try carry.withUnsafeBytes { try sink.write($0) } }
        carry = []
    }

    private func flush(_ bytes: UnsafeRawBufferPointer, _ from: Int, _ to: Int) throws {
        if to > from { try sink.write(UnsafeRawBufferPointer(rebasing: bytes[from..<to])) }
    }

    /// Comment and blank lines: the header before the first statement.
    private func isHeaderLine(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ newline: Int) -> Bool {
        newline == start || (newline > start + 1 && bytes[start] == 0x2D && bytes[start + 1] == 0x2D)
    }

    /// Whether a whole line (with its newline) goes to the artifact; notes the header's end and the key.
    private func keep(_ line: [UInt8]) -> Bool {
        var text = line[...]
        while let last = text.last, last == 0x0A || last == 0x0D { text = text.dropLast() }
        if inHeader {
            if text.isEmpty || text.starts(with: Self.commentStart) { return true }
            if text.starts(with: Self.restrictPrefix), unrestrictLine == nil {
                unrestrictLine = Self.unrestrictPrefix + text.dropFirst(Self.restrictPrefix.count)
                return false
            }
            inHeader = false
            return true
        }
        guard let unrestrictLine else { return true }
        return !text.elementsEqual(unrestrictLine)
    }

    private static let commentStart = Array("--".utf8)
    private static let restrictPrefix = Array("\\restrict ".utf8)
    private static let unrestrictPrefix = Array("\\unrestrict ".utf8)
}
