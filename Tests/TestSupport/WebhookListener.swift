import Foundation

/// A real HTTP server (Fixtures/webhook/listener.py) that records the POSTs it receives.
public final class WebhookListener {
    let process = Process()
    let dir: TempDir
    /// The URL to configure as `notify.webhook` (its token must never appear in vaultops' output).
    public private(set) var url = ""

    /// Starts the listener; `statuses` script its answers (`"503"`, `"200:{\"errcode\":310000}"`, …).
    public init(statuses: [String] = []) throws {
        dir = try TempDir("webhook")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/webhook/listener.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, dir.file("port").path, dir.file("log").path] + statuses
        try process.run()
        for _ in 0..<2_400 {  // 120 s, only a backstop for a stalled machine
            if let port = try? String(contentsOf: dir.file("port"), encoding: .utf8), !port.isEmpty {
                url = "http://127.0.0.1:\(port)/robot/send?access_token=s3cr3t-robot-token"
                return
            }
            usleep(50_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw TestSupportError("the webhook listener did not start")
    }

    /// The request bodies received so far, in order.
    public func bodies() throws -> [String] {
        guard let text = try? String(contentsOf: dir.file("log"), encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["body"] as? String ?? ""
        }
    }

    deinit {
        // SIGKILL: it cannot be blocked or ignored, whatever signal mask the child inherited.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
