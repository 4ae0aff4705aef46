import Foundation
import Testing
import TestSupport

/// `Fixtures/deploy`: the little HTTP service and its start script.
let deployFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/deploy")

/// A free TCP port on 127.0.0.1 (bind port 0, read it, close).
func freePort() throws -> Int {
    let r = try runProcess("python3", ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1]); s.close()"])
    guard r.status == 0, let port = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw TestSupportError("cannot find a free port: \(r.stderr)")
    }
    return port
}

/// GET `url` with python3's urllib: (status, body), status 0 when nothing answered.
func httpGet(_ url: String) throws -> (status: Int, body: String) {
    let script = """
    import sys, urllib.request, urllib.error
    try:
        r = urllib.request.urlopen(sys.argv[1], timeout=60)  # only a backstop: the service is up, the machine may stall
        print(r.status); print(r.read().decode(), end="")
    except urllib.error.HTTPError as e:
        print(e.code); print(e.read().decode(), end="")
    except Exception as e:
        print(0); print(e, end="")
    """
    let r = try runProcess("python3", ["-c", script, url])
    let lines = r.stdout.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    return (Int(lines.first ?? "") ?? -1, lines.count > 1 ? String(lines[1]) : "")
}

/// A test's folder with the service's pid file; stops the service (and anything listed) when released.
final class ServiceFolder: @unchecked Sendable {
    // Safety: only used from the test that owns it; deinit runs once.
    let dir: TempDir
    var path: String { dir.path }

    init(_ label: String) throws { dir = try TempDir(label) }

    /// The running service's pid, from the pid file the start script writes.
    var servicePID: Int32? {
        (try? String(contentsOfFile: dir.file("service.pid").path, encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The versions the start script was run with, in order.
    var stageRuns: [String] {
        ((try? String(contentsOfFile: dir.file("stage-runs").path, encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
    }

    deinit {
        if let pid = servicePID { kill(pid, SIGKILL) }
    }
}

/// Writes `text` to `url`, creating folders.
func write(_ text: String, to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: true, encoding: .utf8)
}

/// The release history lines of a state folder, decoded as JSON objects.
func historyLines(_ stateDir: URL) throws -> [[String: Any]] {
    let text = (try? String(contentsOf: stateDir.appendingPathComponent("releases.jsonl"), encoding: .utf8)) ?? ""
    return try text.split(separator: "\n").map { line in
        try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}

/// `vaultops releases --json` decoded.
func releasesJSON(config: URL) throws -> (current: String?, releases: [[String: Any]]) {
    let r = try vaultops(["releases", "--config", config.path, "--json"])
    guard r.status == 0 else { throw TestSupportError("releases --json failed (\(r.status)): \(r.stderr)") }
    let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    return (object["current"] as? String, object["releases"] as? [[String: Any]] ?? [])
}
