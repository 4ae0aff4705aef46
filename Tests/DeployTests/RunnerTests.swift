import Foundation
import Testing
import TestSupport
import VaultopsCore
@testable import Deploy

@Suite("Commands, probes and the history file")
struct RunnerTests {
    @Test func commandGetsEnvironmentVariablesAndWorkingFolder() throws {
        let dir = try TempDir("runner")
        let output = try ReleaseOutput(stateDir: dir.path, release: "r0001")
        let runner = CommandRunner(workingDirectory: dir.path, environment: ["PATH": "/usr/bin:/bin", "FROM_ENV": "process"],
                                   output: output)
        let result = runner.run("pwd; echo \"$VERSION $FROM_ENV\"; echo to-stderr >&2; exit 3", label: "stage web",
                                    variables: ["VERSION": "7"], timeout: .seconds(10))
        #expect(result.exitStatus == 3)
        #expect(!result.succeeded)
        #expect(result.summary == "exit 3")
        #expect(result.tail == [dir.url.resolvingSymlinksInPath().path, "7 process", "to-stderr"]
            || result.tail == [dir.path, "7 process", "to-stderr"])
        let log = try String(contentsOf: output.url, encoding: .utf8)
        #expect(log.contains("== stage web: pwd;"))
        #expect(log.contains("7 process\nto-stderr\n== stage web: exit 3 in "))
    }

    @Test func outputIsRedactedInTailAndLog() throws {
        let dir = try TempDir("runner")
        let secret = "Runner-\(UUID().uuidString.prefix(8))"
        Redacted.register(secret: secret)
        let output = try ReleaseOutput(stateDir: dir.path, release: "r0001")
        let runner = CommandRunner(workingDirectory: dir.path, environment: ProcessInfo.processInfo.environment, output: output)
        let result = runner.run("echo connecting with $S; echo postgresql://app:$S@db/x", label: "s", variables: ["S": secret], timeout: nil)
        #expect(result.succeeded)
        #expect(result.tail == ["connecting with ***", "postgresql://app:***@db/x"])
        #expect(!(try String(contentsOf: output.url, encoding: .utf8)).contains(secret))
    }

    @Test func secretLookingVariablesAreHiddenFromOutput() throws {
        let dir = try TempDir("runner")
        let token = "tok-\(UUID().uuidString.prefix(8))"
        let runner = CommandRunner(workingDirectory: dir.path,
                                   environment: ["PATH": "/usr/bin:/bin", "REGISTRY_TOKEN": token, "APP_NAME": "shop"], output: nil)
        let result = runner.run("echo \"$REGISTRY_TOKEN $APP_NAME\"", label: "s", variables: [:], timeout: nil)
        #expect(result.tail == ["*** shop"])
    }

    @Test(arguments: [("DB_PASSWORD", true), ("OSS_ACCESS_KEY_SECRET", true), ("GITHUB_TOKEN", true), ("API_KEY", true),
                      ("PGPASSWD", true), ("VERSION", false), ("KEYBOARD", false), ("PATH", false)])
    func secretNames(_ name: String, _ secret: Bool) {
        #expect(CommandRunner.looksSecret(name: name) == secret)
    }

    @Test func timeoutKillsTheWholeProcessGroup() throws {
        let dir = try TempDir("runner")
        let runner = CommandRunner(workingDirectory: dir.path, environment: ProcessInfo.processInfo.environment, output: nil)
        let pidFile = dir.file("child.pid").path
        // The shell must have started the child and said so before the timeout fires: 5 s, not a few hundred ms, so a
        // stalled machine does not fire it first (the timeout is what is tested, so it cannot be a gate).
        let result = runner.run("sleep 600 & echo $! > \(pidFile); echo waiting; wait", label: "slow", variables: [:],
                                    timeout: .seconds(5))
        #expect(result.timedOut)
        #expect(!result.succeeded)
        #expect(result.tail == ["waiting"])
        let child = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // The background sleep was in the command's process group, so it got the signal too (allow it a moment to
        // go; 60 s is only a backstop).
        var alive = true
        for _ in 0..<600 where alive {
            alive = kill(child, 0) == 0 && !isZombie(child)
            if alive { usleep(100_000) }
        }
        #expect(!alive, "the command's background child survived the timeout")
    }

    @Test func aBackgroundServiceDoesNotHoldTheStageOpen() throws {
        let dir = try TempDir("runner")
        let runner = CommandRunner(workingDirectory: dir.path, environment: ProcessInfo.processInfo.environment, output: nil)
        let pidFile = dir.file("bg.pid").path
        // The background child inherits the output pipe and keeps it open for ten minutes; 120 s is only a backstop.
        let result = runner.run("sleep 600 & echo $! > \(pidFile); echo started", label: "bg", variables: [:], timeout: .seconds(120))
        let child = Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
        defer { if let child { kill(child, SIGKILL) } }
        #expect(result.succeeded)
        #expect(!result.timedOut)
        #expect(result.tail == ["started"])
        #expect(child.map { kill($0, 0) == 0 } == true, "the service a stage starts must keep running")
    }

    @Test func tcpProbeConnectsOrSaysWhy() throws {
        let listener = try TCPListener()
        let open = TCPProbe.connect(host: "127.0.0.1", port: listener.port, timeout: .seconds(2))
        #expect(open.ok)
        let closedPort = try freePort()
        let closed = TCPProbe.connect(host: "127.0.0.1", port: closedPort, timeout: .seconds(2))
        #expect(!closed.ok)
        #expect(closed.detail == "127.0.0.1:\(closedPort): Connection refused")
        let unknown = TCPProbe.connect(host: "no-such-host.invalid", port: 80, timeout: .seconds(2))
        #expect(!unknown.ok)
        #expect(unknown.detail.hasPrefix("cannot resolve no-such-host.invalid"))
    }

    @Test func httpGateChecksStatusAndExpectedBody() throws {
        let folder = try ServiceFolder("probe")
        let port = try freePort()
        let runner = CommandRunner(workingDirectory: folder.path, environment: ProcessInfo.processInfo.environment, output: nil)
        let start = runner.run("sh \(deployFixtures.path)/start-service.sh \(folder.path) \(port)", label: "start",
                                   variables: ["VERSION": "5", "RELEASE": "r1", "SERVICE_BAD_VERSIONS": "9"], timeout: .seconds(20))
        #expect(start.succeeded, "\(start.tail)")
        let gates = HealthGateRunner(commands: runner)
        var lines: [String] = []
        let check = HealthCheck(probe: .http(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(1), retries: 3,
                                interval: .milliseconds(200), startPeriod: .seconds(10), expect: "version 5")
        let healthy = gates.wait(for: check, label: "gate web", variables: [:]) { lines.append($0) }
        #expect(healthy.healthy)
        #expect(healthy.lastDetail == "HTTP 200: ok version 5")

        var wrongBody = check
        wrongBody.expect = "version 6"
        wrongBody.startPeriod = .zero
        let unhealthy = gates.wait(for: wrongBody, label: "gate web", variables: [:]) { lines.append($0) }
        #expect(!unhealthy.healthy)
        #expect(unhealthy.attempts == 3)
        #expect(unhealthy.lastDetail == "HTTP 200 but the body lacks \"version 6\": ok version 5")
        #expect(lines.suffix(2) == ["gate web: attempt 1 failed (HTTP 200 but the body lacks \"version 6\": ok version 5), 1 of 3 allowed failures",
                                    "gate web: attempt 2 failed (HTTP 200 but the body lacks \"version 6\": ok version 5), 2 of 3 allowed failures"])

        let missing = gates.probe(HealthCheck(probe: .http(url: "http://127.0.0.1:\(port)/nope"), timeout: .seconds(1)), label: "g", variables: [:])
        #expect(missing == ProbeAnswer(ok: false, detail: "HTTP 404: not found"))
        let nobody = gates.probe(HealthCheck(probe: .http(url: "http://127.0.0.1:\(try freePort())/health"), timeout: .seconds(1)), label: "g", variables: [:])
        #expect(!nobody.ok)
        #expect(nobody.detail.contains("curl error 7"))
    }

    @Test func commandGateUsesExitStatusAndVariables() throws {
        let dir = try TempDir("runner")
        let runner = CommandRunner(workingDirectory: dir.path, environment: ProcessInfo.processInfo.environment, output: nil)
        let gates = HealthGateRunner(commands: runner)
        let check = HealthCheck(probe: .command("test \"$VERSION\" = 2"), timeout: .seconds(5), retries: 0)
        #expect(gates.probe(check, label: "g", variables: ["VERSION": "2"]).ok)
        #expect(gates.probe(check, label: "g", variables: ["VERSION": "3"]) == ProbeAnswer(ok: false, detail: "exit 1"))
    }

    @Test func historyFileAppendsSyncedLinesAndRecoversFromATornOne() throws {
        let dir = try TempDir("history")
        let log = ReleaseLog(stateDir: dir.file("state").path)
        #expect(try log.read().events.isEmpty)
        let t = Date(timeIntervalSince1970: 1_767_225_600)
        try log.append(.started("r0001", at: t, action: .deploy, version: "1", previous: nil))
        #expect(try mode(of: log.url) == 0o600)
        // A crash in the middle of a write leaves half a line.
        let handle = try FileHandle(forWritingTo: log.url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"event":"finished","release":"r00"#.utf8))
        try handle.close()
        let torn = try log.read()
        #expect(torn.events.count == 1)
        #expect(torn.warnings == ["\(log.url.path):2: ignored a torn last line (vaultops was stopped while writing it)"])
        try log.append(.finished("r0001", at: t, outcome: .succeeded, message: "done"))
        let (releases, warnings) = try log.releases()
        #expect(releases.map(\.outcome) == [.succeeded])
        #expect(warnings == ["\(log.url.path):2: ignored a line that is not a release event"])
    }
}

/// A listening TCP socket on 127.0.0.1 (python3 keeps it open until the value is released).
final class TCPListener: @unchecked Sendable {
    // Safety: immutable after init.
    let port: Int
    private let process: Process

    init() throws {
        port = try freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', \(port))); s.listen(16); print('ready', flush=True); time.sleep(60)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        _ = pipe.fileHandleForReading.availableData // "ready"
    }

    deinit { process.terminate() }
}

func mode(of url: URL) throws -> Int {
    (try FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int) ?? -1
}

/// Whether `pid` is a zombie (dead, not yet reaped by its parent).
func isZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(close, offsetBy: 2)...].hasPrefix("Z")
}

extension RunnerTests {
    @Test func gateURLAndExpectKeepVaultopsVariablesUntilTheGateRuns() throws {
        let yaml = """
            deploy:
              state_dir: /tmp/state
              env: [APP_PORT]
              stages:
                - name: web
                  run: up
                  health:
                    http: http://127.0.0.1:${APP_PORT}/v/${VERSION}/${RELEASE}
                    expect: version ${VERSION:-none} of ${APP}
            """
        let config = try ConfigLoader.parse(yaml: yaml, file: "/tmp/vaultops.yml", baseDirectory: URL(fileURLWithPath: "/tmp"),
                                            environment: ["APP_PORT": "8081", "APP": "shop"])
        let check = try #require(config.deploy?.stages.first?.health)
        #expect(config.deploy?.env == [DeployVariable(name: "APP_PORT")])
        #expect(check.probe == .http(url: "http://127.0.0.1:8081/v/${VERSION}/${RELEASE}"))
        #expect(check.expect == "version ${VERSION} of shop")
        let run = check.expanded(["VERSION": "2.1", "RELEASE": "r0007"])
        #expect(run.probe == .http(url: "http://127.0.0.1:8081/v/2.1/r0007"))
        #expect(run.expect == "version 2.1 of shop")
        #expect(DeployPlan.describe(run).hasPrefix("http GET http://127.0.0.1:8081/v/2.1/r0007 answers 2xx containing \"version 2.1 of shop\""))

        #expect(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: yaml.replacingOccurrences(of: "env: [APP_PORT]", with: "env: [APP-PORT]"), file: "/tmp/vaultops.yml",
                                   baseDirectory: URL(fileURLWithPath: "/tmp"), environment: ["APP_PORT": "8081", "APP": "shop"])
        }
    }
}
