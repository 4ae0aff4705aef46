import Foundation
import HTTP
import VaultopsCore

/// The shape of the webhook message (`notify.kind`).
public enum NotifyKind: String, Sendable, CaseIterable {
    /// A JSON document describing the run (`event`, `status`, `sources`, …).
    case generic
    /// DingTalk custom robot: `{"msgtype":"markdown","markdown":{"title":…,"text":…}}`.
    case dingtalk
    /// WeCom (企业微信) group robot: `{"msgtype":"markdown","markdown":{"content":…}}`.
    case wecom
}

/// Sends the outcome of a run to `notify.webhook`, with retries; a failure is reported, never thrown.
public struct Notifier: Sendable {
    public var webhook: Secret
    public var kind: NotifyKind
    public var onSuccess: Bool
    /// Attempts in all (the first try plus retries).
    public var attempts = 3
    /// Waits before the 2nd, 3rd, … attempt.
    public var delays: [TimeInterval] = [2, 5]
    public var timeoutSeconds = 15

    public init(config: NotifyConfig) {
        webhook = config.webhook
        kind = config.kind.flatMap(NotifyKind.init(rawValue:)) ?? .generic
        onSuccess = config.onSuccess
    }

    /// Whether `status` is worth a message: always on failure, on success only with `on_success: true`.
    public func shouldNotify(_ status: RunStatus) -> Bool {
        !status.dryRun && (status.exitCode != 0 || onSuccess)
    }

    /// Posts the message; returns nil on success or why it failed after all attempts (redacted).
    ///
    /// `log` gets one line per failed attempt.
    public func send(_ status: RunStatus, log: (String) -> Void) -> String? {
        post(NotificationMessage.body(kind: kind, status: status), log: log)
    }

    /// Posts `body` with the retries; returns nil on success or why it failed after all attempts (redacted).
    func post(_ body: Data, log: (String) -> Void) -> String? {
        var lastProblem = "not sent"
        for attempt in 1...max(1, attempts) {
            if attempt > 1 {
                let wait = delays.isEmpty ? 0 : delays[min(attempt - 2, delays.count - 1)]
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
            }
            let retryable: Bool
            do {
                let response = try CurlEasy().perform(HTTPTransfer(
                    method: "POST", url: webhook.value, headers: [("Content-Type", "application/json; charset=utf-8"), ("Expect", "")],
                    body: .data(body), sink: .shortAnswer, timeout: .seconds(timeoutSeconds), lowSpeedTime: nil,
                    userAgent: "vaultops-notify"))
                if let problem = NotificationMessage.problem(in: response.status, body: response.body, kind: kind) {
                    lastProblem = problem
                    retryable = response.status == 429 || response.status >= 500
                } else {
                    return nil
                }
            } catch {
                lastProblem = error.step == nil ? "webhook request failed: \(error.detail)" : "webhook \(error)"
                retryable = true
            }
            lastProblem = Redacted.text(lastProblem, secrets: [webhook.value])
            log("notify: attempt \(attempt) of \(attempts) failed: \(lastProblem)")
            if !retryable { break }
        }
        return lastProblem
    }
}

/// The webhook payloads, as pure functions of a run's status.
public enum NotificationMessage {
    /// `vaultops on web-1: 1 of 3 sources FAILED (exit 5)`.
    public static func title(_ status: RunStatus) -> String {
        let failed = status.sources.filter { !$0.succeeded && $0.skipped == nil }.count
        let state: String
        switch status.exitCode {
        case 0: state = "all \(status.sources.count) sources OK"
        case 5: state = "\(failed) of \(status.sources.count) sources FAILED (exit 5)"
        default: state = "run FAILED (exit \(status.exitCode))"
        }
        return "vaultops on \(status.host): \(state)"
    }

    /// One line per source and prune location, failures first; redacted.
    public static func lines(_ status: RunStatus) -> [String] {
        var lines: [String] = []
        let ran = status.sources.filter { $0.skipped == nil }
        let ordered = ran.filter { !$0.succeeded } + ran.filter(\.succeeded)
        for source in ordered {
            if let error = source.error {
                lines.append("FAILED \(source.name): \(error)")
            } else {
                var line = "ok \(source.name): \(source.artifact ?? "-") \(ProgressReporter.formatBytes(source.sizeBytes))"
                line += source.verified ? ", verified" : ""
                if let upload = source.upload, upload.ok { line += ", uploaded" }
                if let mirror = source.mirror, mirror.ok { line += ", mirrored" }
                if let drill = source.drill, drill.ok { line += ", drill ok" }
                lines.append(line)
            }
        }
        // Sources left out tonight carry their last run's facts: say so rather than report them again.
        for source in status.sources where source.skipped != nil {
            lines.append("skipped \(source.name): \(source.skipped!)\(source.succeeded ? "" : "; its last run FAILED")")
        }
        for error in status.errors { lines.append("FAILED run: \(error)") }
        for prune in status.prunes {
            lines.append("\(prune.ok ? "prune" : "FAILED prune") \(prune.location): \(prune.summary)")
        }
        return lines.map { Redacted.text($0) }
    }

    /// The request body for `kind`.
    public static func body(kind: NotifyKind, status: RunStatus) -> Data {
        let title = Redacted.text(title(status))
        let lines = lines(status)
        let stamp = "\(Manifest.timestamp(status.startedAt)) – \(Manifest.timestamp(status.finishedAt))"
        let object: [String: Any]
        switch kind {
        case .generic:
            object = [
                "event": "vaultops.run",
                "host": status.host,
                "status": status.exitCode == 0 ? "success" : status.exitCode == 5 ? "partial" : "failure",
                "exit_code": Int(status.exitCode),
                "title": title,
                "text": ([title] + lines).joined(separator: "\n"),
                "started_at": Manifest.timestamp(status.startedAt),
                "finished_at": Manifest.timestamp(status.finishedAt),
                "duration_seconds": (status.durationSeconds * 1000).rounded() / 1000,
                "sources": status.sources.map { source -> [String: Any] in
                    var entry: [String: Any] = [
                        "name": source.name, "kind": source.kind, "ok": source.succeeded, "backed_up": source.backedUp,
                        "verified": source.verified, "size_bytes": source.sizeBytes,
                    ]
                    if let artifact = source.artifact { entry["artifact"] = artifact }
                    if let upload = source.upload { entry["uploaded"] = upload.ok }
                    if let drill = source.drill { entry["drill_ok"] = drill.ok }
                    if let error = source.error { entry["error"] = Redacted.text(error) }
                    return entry
                },
                "errors": status.errors.map { Redacted.text($0) },
            ]
        case .dingtalk:
            let text = "### \(title)\n\n" + lines.map { "- \($0)" }.joined(separator: "\n") + "\n\n\(stamp)"
            object = ["msgtype": "markdown", "markdown": ["title": title, "text": text]]
        case .wecom:
            let text = "**\(title)**\n" + lines.map { "> \($0)" }.joined(separator: "\n") + "\n\(stamp)"
            object = ["msgtype": "markdown", "markdown": ["content": text]]
        }
        // Plain JSON values only: serialisation cannot fail.
        return try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// Why the answer counts as a failure, or nil: non-2xx for every kind, and for the robots also a
    /// non-zero `errcode` (they answer HTTP 200 to a rejected message, e.g. a missing keyword).
    public static func problem(in status: Int, body: Data, kind: NotifyKind) -> String? {
        let snippet = String(decoding: body.prefix(300), as: UTF8.self)
        guard (200..<300).contains(status) else {
            return "webhook answered HTTP \(status)\(snippet.isEmpty ? "" : ": \(snippet)")"
        }
        guard kind != .generic else { return nil }
        guard let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            return "webhook answered HTTP \(status) with a body that is not the robot's JSON: \(snippet)"
        }
        let code = (json["errcode"] as? NSNumber)?.intValue ?? 0
        guard code == 0 else {
            return "robot rejected the message: errcode \(code) \(json["errmsg"] as? String ?? "")"
        }
        return nil
    }
}
