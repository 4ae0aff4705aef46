import ErrorKinds
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the lock could not be taken.
public enum LockError: Error, KindedError, CustomStringConvertible, Equatable {
    /// Another process holds it; `by` describes the holder, e.g. `pid 123 (vaultops run) since 2026-01-01T02:00:00Z`.
    case held(by: String, path: String)
    /// The lock file could not be opened, written or locked.
    case failed(path: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case let .held(by, path):
            "another vaultops is running: \(path) is held by \(by)"
        case let .failed(path, operation, reason):
            "cannot \(operation) lock file \(path): \(reason)"
        }
    }

    public var failureKind: FailureKind {
        switch self {
        case .held: .locked
        case .failed: .failure
        }
    }
}

/// An exclusive, process-wide lock on a file (`flock`), so two `run`s or a `run` and a `deploy` never overlap.
///
/// The kernel drops the lock when the process dies, so a crash never leaves a stale lock behind. The file
/// records the holder (pid, command, start time) for the message the next contender prints.
/// - Important: Hold the value for as long as the lock is needed; `release()` or deinit lets go.
///   The descriptor is close-on-exec, so children (pg_dump, docker compose) never inherit the lock.
public final class ProcessLock {
    /// The lock file.
    public let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Takes the lock at `path`, creating the file (mode 0600) and its folder when needed.
    ///
    /// - Parameters:
    ///   - wait: how long to keep trying while another process holds it; nil fails at once.
    ///   - command: what to record as the holder's command (redacted before it is written).
    /// - Throws: `LockError.held` (kind `locked`, exit code 4) when another process keeps it.
    public static func acquire(path: String, wait: Duration? = nil,
                               command: String = ProcessLock.currentCommand) throws(LockError) -> ProcessLock {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw .failed(path: path, operation: "create the folder of the", reason: error.localizedDescription)
            }
        }
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .failed(path: path, operation: "open", reason: errnoText()) }

        let deadline = wait.map { ContinuousClock.now + $0 }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                let reason = errnoText(code)
                close(fd)
                throw .failed(path: path, operation: "lock", reason: reason)
            }
            if code == EINTR { continue }
            guard let deadline, ContinuousClock.now < deadline else {
                let holder = describeHolder(fd: fd)
                close(fd)
                throw .held(by: holder, path: path)
            }
            usleep(100_000)
        }

        let lock = ProcessLock(path: path, fd: fd)
        let record = "pid: \(getpid())\ncommand: \(Redacted.text(command))\nstarted: \(Manifest.timestamp(Date()))\n"
        let bytes = Array(record.utf8)
        // Only after locking: a loser must never clobber the winner's record. The flock is the lock; the record
        // only describes the holder, so a full disk (ENOSPC) keeps the lock and is reported, never fatal: the run
        // that follows must still reach its webhook and metrics, exactly when the disk needs attention.
        if ftruncate(fd, 0) != 0 || bytes.withUnsafeBytes({ pwrite(fd, $0.baseAddress, $0.count, 0) }) != bytes.count {
            lock.recordProblem = "cannot write the holder's details to the lock file \(path): \(errnoText())"
        }
        return lock
    }

    /// Why the holder's details could not be written into the lock file (the lock is held all the same).
    public private(set) var recordProblem: String?

    /// The holder recorded in the lock file at `path`, or nil when there is no readable record.
    ///
    /// Reading never takes or waits for the lock; the record is what the holder wrote when it took it.
    public static func holder(path: String) -> LockHolder? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        return LockHolder(record: readRecord(fd: fd))
    }

    /// Whether this value still holds the lock.
    public var isHeld: Bool { fd >= 0 }

    /// Lets go of the lock (idempotent); the holder record is cleared first.
    public func release() {
        guard fd >= 0 else { return }
        // Clear while still holding it, so a stale record never describes a process that has gone.
        _ = ftruncate(fd, 0)
        close(fd)
        fd = -1
    }

    deinit { release() }

    /// This process's command line, for the holder record.
    public static var currentCommand: String {
        let args = CommandLine.arguments
        guard let first = args.first else { return "vaultops" }
        return ([(first as NSString).lastPathComponent] + args.dropFirst()).joined(separator: " ")
    }

    /// `pid 123 (vaultops run) since 2026-…Z`, from the record in the file.
    private static func describeHolder(fd: Int32) -> String {
        let text = readRecord(fd: fd)
        guard !text.isEmpty else { return "another process (it has not written its details yet)" }
        return LockHolder(record: text)?.description ?? "another process"
    }

    private static func readRecord(fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
    }
}

/// The process a lock file says holds it: pid, command and when it took the lock.
public struct LockHolder: Sendable, Equatable, CustomStringConvertible {
    public var pid: String
    public var command: String?
    public var started: Date?
    /// `started` as written in the file.
    public var startedText: String?

    /// Parses the `pid:`/`command:`/`started:` record; nil without a pid.
    init?(record: String) {
        var fields: [String: String] = [:]
        for line in record.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        guard let pid = fields["pid"], !pid.isEmpty else { return nil }
        self.pid = pid
        command = fields["command"].flatMap { $0.isEmpty ? nil : Redacted.text($0) }
        startedText = fields["started"]
        started = startedText.flatMap(Manifest.parseTimestamp)
    }

    /// `pid 123 (vaultops run) since 2026-01-01T02:00:00Z`.
    public var description: String {
        var text = "pid \(pid)"
        if let command { text += " (\(command))" }
        if let startedText { text += " since \(startedText)" }
        return text
    }
}

@available(*, unavailable)
extension ProcessLock: Sendable {}

private func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
