import Foundation
import HTTP
import VaultopsCore

/// What a health gate does after one attempt.
public enum GateDecision: Sendable, Equatable {
    /// The probe passed: the gate is open.
    case healthy
    /// Too many counted failures: the gate failed.
    case unhealthy
    /// Try again after the interval.
    case retry
}

/// The counting rules of a health gate, as docker compose defines them: failures during `start_period` do
/// not count, a success at any time ends the wait, and after the start period the gate fails once `retries`
/// attempts in a row have failed (compose's "consecutive failures needed to be unhealthy"; 0 is taken as 1).
public struct GateCounter: Sendable, Equatable {
    public let check: HealthCheck
    /// Failures counted so far (outside the start period).
    public private(set) var failures = 0
    public private(set) var attempts = 0

    public init(check: HealthCheck) { self.check = check }

    /// Records one attempt that began `elapsed` after the gate started.
    public mutating func record(success: Bool, elapsed: Duration) -> GateDecision {
        attempts += 1
        if success { return .healthy }
        if elapsed < check.startPeriod { return .retry }
        failures += 1
        return failures >= check.allowedFailures ? .unhealthy : .retry
    }
}

/// The result of a gate.
public struct GateResult: Sendable, Equatable {
    public var healthy: Bool
    public var attempts: Int
    public var seconds: Double
    /// The last probe's answer or problem, for people.
    public var lastDetail: String
}

/// One probe attempt's answer.
public struct ProbeAnswer: Sendable, Equatable {
    public var ok: Bool
    /// `HTTP 200`, `HTTP 500: body…`, `connection refused`, `exit 1`.
    public var detail: String

    public init(ok: Bool, detail: String) {
        self.ok = ok
        self.detail = detail
    }
}

/// Runs health gates: probes until healthy or unhealthy, sleeping `interval` between attempts.
///
/// - Important: blocking and single-threaded (it owns a libcurl handle for HTTP probes).
public final class HealthGateRunner {
    private let commands: CommandRunner
    private var http: CurlEasy?

    public init(commands: CommandRunner) { self.commands = commands }

    /// Probes `check` until it decides; `variables` go to command probes; `log` gets one line per failed attempt.
    public func wait(for check: HealthCheck, label: String, variables: [String: String],
                     log: (String) -> Void) -> GateResult {
        var counter = GateCounter(check: check)
        let started = ContinuousClock.now
        while true {
            if let signal = Interruption.signal {
                return GateResult(healthy: false, attempts: counter.attempts, seconds: seconds(ContinuousClock.now - started),
                                  lastDetail: "stopped: vaultops got \(Interruption.name(signal))")
            }
            let attemptStart = ContinuousClock.now
            let answer = probe(check, label: label, variables: variables)
            let decision = counter.record(success: answer.ok, elapsed: attemptStart - started)
            switch decision {
            case .healthy, .unhealthy:
                return GateResult(healthy: decision == .healthy, attempts: counter.attempts,
                                  seconds: seconds(ContinuousClock.now - started), lastDetail: answer.detail)
            case .retry:
                if attemptStart - started >= check.startPeriod {
                    log("\(label): attempt \(counter.attempts) failed (\(answer.detail)), \(counter.failures) of \(check.allowedFailures) allowed failures")
                } else if counter.attempts == 1 {
                    // A service that is still starting fails many probes: say so once, not every interval.
                    log("\(label): attempt 1 failed (\(answer.detail)); failures do not count during the \(formatDuration(check.startPeriod)) start period")
                }
                // The interval runs from the start of the attempt, like compose's: a slow probe does not add to it.
                let next = attemptStart + check.interval
                let now = ContinuousClock.now
                if next > now { Thread.sleep(forTimeInterval: seconds(next - now)) }
            }
        }
    }

    /// One attempt.
    public func probe(_ check: HealthCheck, label: String, variables: [String: String]) -> ProbeAnswer {
        switch check.probe {
        case let .tcp(host, port):
            return TCPProbe.connect(host: host, port: port, timeout: check.timeout)
        case let .http(url):
            do {
                if http == nil { http = try CurlEasy() }
                // No redirects (a gate that redirects is misconfigured, as for compose's `curl -f`), no proxy.
                let response = try http!.perform(HTTPTransfer(
                    method: "GET", url: url, headers: [], sink: .shortAnswer, connectTimeout: check.timeout, timeout: check.timeout,
                    lowSpeedTime: nil, bypassProxy: true, userAgent: "vaultops-health-gate"))
                let snippet = bodySnippet(response.body)
                guard (200..<300).contains(response.status) else {
                    return ProbeAnswer(ok: false, detail: "HTTP \(response.status)" + (snippet.isEmpty ? "" : ": \(snippet)"))
                }
                if let expect = check.expect, !String(decoding: response.body, as: UTF8.self).contains(expect) {
                    return ProbeAnswer(ok: false, detail: "HTTP \(response.status) but the body lacks \"\(expect)\"" + (snippet.isEmpty ? "" : ": \(snippet)"))
                }
                return ProbeAnswer(ok: true, detail: "HTTP \(response.status)" + (snippet.isEmpty ? "" : ": \(snippet)"))
            } catch {
                return ProbeAnswer(ok: false, detail: Redacted.text(String(describing: error)))
            }
        case let .command(command):
            let result = commands.run(command, label: "\(label) probe", variables: variables, timeout: check.timeout)
            let last = result.tail.last.map { ": \($0)" } ?? ""
            return ProbeAnswer(ok: result.succeeded, detail: result.summary + last)
        }
    }

    private func bodySnippet(_ body: Data) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self)
            .split(whereSeparator: \.isNewline).joined(separator: " ").trimmingCharacters(in: .whitespaces)
        return Redacted.text(text)
    }
}

@available(*, unavailable)
extension HealthGateRunner: Sendable {}

extension HealthCheck {
    /// Counted failures in a row that fail the gate: `retries`, at least one.
    public var allowedFailures: Int { max(retries, 1) }
}
