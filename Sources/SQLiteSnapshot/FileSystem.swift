import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The text of the current `errno`.
func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// Flushes a file's data to disk (`fsync`).
func fsyncFile(_ path: String) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw SQLiteSnapshotError(.io, path: path, message: "cannot open to sync: \(errnoText())") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw SQLiteSnapshotError(.io, path: path, message: "fsync failed: \(errnoText())") }
}

/// Flushes a folder's entries to disk, so renames inside it survive a power cut.
func fsyncFolder(_ path: String) throws {
    let fd = open(path, O_RDONLY | O_DIRECTORY)
    guard fd >= 0 else { throw SQLiteSnapshotError(.io, path: path, message: "cannot open folder to sync: \(errnoText())") }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw SQLiteSnapshotError(.io, path: path, message: "fsync of the folder failed: \(errnoText())") }
}

/// Renames `from` to `to`; returns false (without throwing) when they are on different file systems.
func renameSameFileSystem(_ from: String, _ to: String) throws -> Bool {
    if rename(from, to) == 0 { return true }
    let code = errno
    if code == EXDEV { return false }
    throw SQLiteSnapshotError(.io, path: from, message: "cannot rename to \(to): \(errnoText(code))")
}

/// Copies `from` to the new file `to` (which must not exist) with mode 0600 and fsyncs it.
func copyAndSync(_ from: String, _ to: String) throws {
    let input = open(from, O_RDONLY)
    guard input >= 0 else { throw SQLiteSnapshotError(.io, path: from, message: "cannot open for copying: \(errnoText())") }
    defer { close(input) }
    let output = open(to, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard output >= 0 else { throw SQLiteSnapshotError(.io, path: to, message: "cannot create: \(errnoText())") }
    var ok = false
    defer {
        close(output)
        if !ok { unlink(to) }
    }
    let bufferSize = 1 << 20
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
    defer { buffer.deallocate() }
    while true {
        let n = read(input, buffer, bufferSize)
        if n < 0 {
            if errno == EINTR { continue }
            throw SQLiteSnapshotError(.io, path: from, message: "read failed: \(errnoText())")
        }
        if n == 0 { break }
        var written = 0
        while written < n {
            let w = write(output, buffer + written, n - written)
            if w < 0 {
                if errno == EINTR { continue }
                throw SQLiteSnapshotError(.io, path: to, message: "write failed: \(errnoText())")
            }
            written += w
        }
    }
    guard fsync(output) == 0 else { throw SQLiteSnapshotError(.io, path: to, message: "fsync failed: \(errnoText())") }
    ok = true
}

/// Creates the empty file `path` with mode 0600; it must not exist yet.
func createEmptyPrivateFile(_ path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    guard fd >= 0 else {
        let code = errno
        if code == EEXIST {
            throw SQLiteSnapshotError(.destinationExists, path: path,
                                      message: "the snapshot destination already exists; refusing to overwrite it")
        }
        throw SQLiteSnapshotError(.io, path: path, message: "cannot create the snapshot file: \(errnoText(code))")
    }
    // open() applies the umask; a umask can only remove bits, but make the mode exact anyway.
    _ = fchmod(fd, 0o600)
    close(fd)
}

/// Gives `path` the permission bits and, where allowed, the owner and group of `reference`.
///
/// A restored database must stay usable by the application that owns the original file; chown is
/// only permitted to root, and an unprivileged restore keeps its own ownership.
func copyOwnershipAndMode(from reference: String, to path: String) throws {
    var info = stat()
    guard stat(reference, &info) == 0 else {
        throw SQLiteSnapshotError(.io, path: reference, message: "cannot read its permissions: \(errnoText())")
    }
    if chown(path, info.st_uid, info.st_gid) != 0, errno != EPERM {
        throw SQLiteSnapshotError(.io, path: path, message: "cannot set its owner: \(errnoText())")
    }
    guard chmod(path, info.st_mode & 0o7777) == 0 else {
        throw SQLiteSnapshotError(.io, path: path, message: "cannot set its permissions: \(errnoText())")
    }
}

/// A process (other than this one) that has a file open.
struct FileHolder: Sendable, Equatable {
    let pid: Int32
    let command: String
}

/// The other processes that have `path` open, found through `/proc/<pid>/fd` (Linux; empty elsewhere).
///
/// SQLite's locks only show connections inside a transaction (or any connection in WAL mode); an idle
/// connection to a rollback-journal database holds no lock at all, yet it would keep writing to the old
/// file after a restore. Best effort: without root, other users' processes cannot be inspected.
func processesHolding(_ path: String) -> [FileHolder] {
    #if os(Linux)
    var target = stat()
    guard stat(path, &target) == 0 else { return [] }
    let me = getpid()
    guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    var holders: [FileHolder] = []
    for entry in pids {
        guard let pid = Int32(entry), pid != me else { continue }
        let fdFolder = "/proc/\(entry)/fd"
        guard let fds = try? FileManager.default.contentsOfDirectory(atPath: fdFolder) else { continue }
        for fd in fds {
            var info = stat()
            // stat follows the fd's magic link to the open file itself, even when it was renamed.
            guard stat("\(fdFolder)/\(fd)", &info) == 0 else { continue }
            if info.st_dev == target.st_dev && info.st_ino == target.st_ino {
                let comm = (try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                holders.append(FileHolder(pid: pid, command: comm))
                break
            }
        }
    }
    return holders
    #else
    return []
    #endif
}
