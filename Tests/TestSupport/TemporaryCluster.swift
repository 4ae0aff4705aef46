import Foundation

/// A second, empty PostgreSQL cluster of one server's version, started for one test with `.ci/pg-cluster-start`
/// (initdb in a temporary folder, its own port, superuser `vaultops`) and stopped and removed by `stop()`.
///
/// Whole-server tests restore into it: roles and tablespaces are per cluster, so they cannot share the CI server.
public final class TemporaryCluster: @unchecked Sendable {
    // @unchecked: `stopped` is guarded by `lock`; everything else is immutable.
    /// The new cluster, used like any CI server (`psql`, `url(database:)`, `comparableDump`).
    public let server: PostgresServer
    /// The folder holding its data directory, log and `bin` file.
    public let folder: String
    private let lock = NSLock()
    private var stopped = false

    /// Starts an empty cluster with the server binaries of `like` (its `bin` folder).
    public init(like: PostgresServer) throws {
        guard let bin = like.bin else {
            throw TestSupportError("\(like) has no binary folder (VAULTOPS_TEST_PG_BINS): cannot start a second cluster")
        }
        let script = Golden.repositoryRoot.appendingPathComponent(".ci/pg-cluster-start").path
        // The server the script starts inherits its open files: were one of them a pipe this process reads, the
        // read would wait for the server to exit. So the script writes to files, and other inherited ones are closed.
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("vaultops-cluster-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: out.path + ".out"); try? FileManager.default.removeItem(atPath: out.path + ".err") }
        let r = try runProcess("/bin/bash", ["-c", Self.closingInheritedFiles + "\"$0\" \"$1\" </dev/null >\"$2.out\" 2>\"$2.err\"", script, bin, out.path])
        let stdout = (try? String(contentsOfFile: out.path + ".out", encoding: .utf8)) ?? ""
        let words = stdout.split(whereSeparator: \.isWhitespace)
        guard r.status == 0, words.count == 2 else {
            let stderr = (try? String(contentsOfFile: out.path + ".err", encoding: .utf8)) ?? ""
            throw TestSupportError("starting a second \(like) cluster failed: \(stderr)")
        }
        folder = String(words[0])
        server = PostgresServer(major: like.major, admin: String(words[1]), bin: bin)
    }

    /// Shell code closing every descriptor above 2 that the shell inherited.
    private static let closingInheritedFiles =
        "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done 2>/dev/null; "

    /// Stops the server at once and removes its folder; later calls do nothing.
    public func stop() {
        let first = lock.withLock { () -> Bool in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        let script = Golden.repositoryRoot.appendingPathComponent(".ci/pg-stop").path
        _ = try? runProcess("/bin/bash", ["-c", "\"$0\" \"$1\" </dev/null >/dev/null 2>&1", script, folder])
        try? FileManager.default.removeItem(atPath: folder)
    }

    deinit { stop() }
}
