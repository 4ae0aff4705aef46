@testable import BackupJobs
import Foundation
import Testing
import TestSupport
import VaultopsCore

@Suite("webhook notifications")
struct NotifierTests {
    func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("generic message: status, failing source first with its reason")
    func generic() throws {
        let object = try json(NotificationMessage.body(kind: .generic, status: sampleStatus()))
        #expect(object["event"] as? String == "vaultops.run")
        #expect(object["status"] as? String == "partial")
        #expect(object["exit_code"] as? Int == 5)
        #expect(object["title"] as? String == "vaultops on ecs-1: 2 of 3 sources FAILED (exit 5)")
        let sources = try #require(object["sources"] as? [[String: Any]])
        #expect(sources.map { $0["name"] as? String } == ["db", "mms", "up\"loads"])
        #expect((sources[0]["error"] as? String)?.contains("password authentication failed") == true)
        #expect(sources[2]["uploaded"] as? Bool == false)
        let text = try #require(object["text"] as? String)
        #expect(text.split(separator: "\n")[1].hasPrefix("FAILED db: "))
    }

    @Test("DingTalk and WeCom robot shapes")
    func robots() throws {
        let ding = try json(NotificationMessage.body(kind: .dingtalk, status: sampleStatus()))
        #expect(ding["msgtype"] as? String == "markdown")
        let dingMarkdown = try #require(ding["markdown"] as? [String: String])
        #expect(dingMarkdown["title"]?.hasPrefix("vaultops on ecs-1") == true)
        #expect(dingMarkdown["text"]?.contains("- FAILED db: connection to server failed") == true)

        let wecom = try json(NotificationMessage.body(kind: .wecom, status: sampleStatus()))
        #expect(wecom["msgtype"] as? String == "markdown")
        let content = try #require((wecom["markdown"] as? [String: String])?["content"])
        #expect(content.hasPrefix("**vaultops on ecs-1"))
        #expect(content.contains("> ok mms: mms_20260115.db.gz 2.0 KiB, verified, uploaded"))
    }

    @Test("a registered secret in an error never reaches the message", arguments: NotifyKind.allCases)
    func redacted(kind: NotifyKind) throws {
        let password = "Pa55-\(UUID().uuidString.prefix(8))"
        Redacted.register(secret: password)
        var status = sampleStatus()
        status.sources[0].error = "could not connect with password \(password)"
        let body = String(decoding: NotificationMessage.body(kind: kind, status: status), as: UTF8.self)
        #expect(!body.contains(password))
        #expect(body.contains("could not connect with password"))
    }

    @Test("answers that count as failures", arguments: [
        (200, "", NotifyKind.generic, false),
        (204, "", NotifyKind.generic, false),
        (500, "oops", NotifyKind.generic, true),
        (404, "", NotifyKind.dingtalk, true),
        (200, #"{"errcode":0,"errmsg":"ok"}"#, NotifyKind.dingtalk, false),
        (200, #"{"errcode":310000,"errmsg":"keywords not in content"}"#, NotifyKind.dingtalk, true),
        (200, #"{"errcode":93000,"errmsg":"invalid webhook url"}"#, NotifyKind.wecom, true),
        (200, "<html>", NotifyKind.wecom, true),
    ])
    func problems(status: Int, body: String, kind: NotifyKind, fails: Bool) {
        #expect((NotificationMessage.problem(in: status, body: Data(body.utf8), kind: kind) != nil) == fails)
    }

    @Test("only failures are sent unless on_success is set")
    func shouldNotify() {
        var notifier = Notifier(config: NotifyConfig(webhook: Secret("http://127.0.0.1:1/x")))
        #expect(notifier.shouldNotify(sampleStatus(exitCode: 5)))
        #expect(notifier.shouldNotify(sampleStatus(exitCode: 1)))
        #expect(!notifier.shouldNotify(sampleStatus(exitCode: 0)))
        notifier.onSuccess = true
        #expect(notifier.shouldNotify(sampleStatus(exitCode: 0)))
    }

    @Test("POSTs JSON to a real HTTP listener, retrying a 503")
    func retries() throws {
        let listener = try WebhookListener(statuses: ["503", "200"])
        var notifier = Notifier(config: NotifyConfig(webhook: Secret(listener.url), kind: "dingtalk"))
        notifier.delays = [0.05]
        let lines = LinesBox()
        let problem = notifier.send(sampleStatus()) { lines.append($0) }
        #expect(problem == nil)
        let bodies = try listener.bodies()
        #expect(bodies.count == 2)
        #expect(bodies.allSatisfy { $0.contains("\"msgtype\":\"markdown\"") })
        #expect(lines.all.count == 1)
        #expect(lines.all[0].contains("HTTP 503"))
        #expect(!lines.all.joined().contains("s3cr3t-robot-token"))
    }

    @Test("a robot rejecting the message is not retried; an unreachable webhook gives up after the attempts")
    func failures() throws {
        let listener = try WebhookListener(statuses: [#"200:{"errcode":310000,"errmsg":"keywords not in content"}"#])
        var notifier = Notifier(config: NotifyConfig(webhook: Secret(listener.url), kind: "dingtalk"))
        notifier.delays = [0.01]
        let problem = try #require(notifier.send(sampleStatus()) { _ in })
        #expect(problem.contains("errcode 310000"))
        #expect(try listener.bodies().count == 1)

        // A closed port: connection refused on every attempt, the URL's token never in the message.
        var closed = Notifier(config: NotifyConfig(webhook: Secret("http://127.0.0.1:9/hook?token=zz-secret-zz")))
        closed.delays = [0.01]
        let lines = LinesBox()
        let reason = try #require(closed.send(sampleStatus()) { lines.append($0) })
        #expect(lines.all.count == 3)
        #expect(reason.contains("webhook request failed"))
        #expect(!reason.contains("zz-secret-zz"))
    }
}

/// Collects log lines from a `@Sendable` closure.
final class LinesBox: @unchecked Sendable {
    // Safety: `lines` is only touched under `lock`.
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var all: [String] { lock.withLock { lines } }
}
