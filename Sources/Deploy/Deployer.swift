import Foundation
import VaultopsCore

/// What a `deploy` or `rollback` did.
public struct DeployReport: Sendable {
    /// The release as recorded (all its steps and its outcome).
    public var release: Release
    /// Where every command's output went.
    public var logFile: String
    /// The exit status: 0 done, 6 aborted before any change, 7 failed and rolled back, 8 rollback failed too.
    public var exitCode: VaultopsExitCode { release.outcome.exitCode }
}

/// Runs deploys and rollbacks for one config: lock → preflight → verified backup point → hooks and stages
/// with health gates → recorded outcome, rolling back to the previous release when a gate fails.
///
/// Every step is appended to `<state_dir>/releases.jsonl` as it happens; every command's output goes to
/// `<state_dir>/logs/<release>.log`.
/// - Important: blocking; run from one thread. Takes the lock `run` uses, for the whole operation.
public final class Deployer {
    public let config: Config
    public let deployConfig: DeployConfig
    private let environment: [String: String]
    private let say: (String) -> Void
    /// The release history.
    public let history: ReleaseLog

    /// - Parameters:
    ///   - environment: the process environment (commands get it, `.env` under it).
    ///   - log: receives progress lines for people (already redacted).
    /// - Throws: `DeployError.configuration` when the config has no `deploy:` section.
    public init(config: Config, environment: [String: String] = ProcessInfo.processInfo.environment,
                log: @escaping (String) -> Void) throws(DeployError) {
        guard let deploy = config.deploy else {
            throw DeployError(.configuration, "\(config.file) has no 'deploy:' section (state_dir, backup_point, stages)")
        }
        self.config = config
        self.deployConfig = deploy
        self.environment = environment
        self.say = { log(Redacted.text($0)) }
        self.history = ReleaseLog(stateDir: deploy.stateDir)
    }

    /// The folder commands run in: `working_dir`, else the config file's folder.
    public var workingDirectory: String {
        deployConfig.workingDir ?? URL(fileURLWithPath: config.file).deletingLastPathComponent().path
    }

    /// The releases recorded so far (warnings about unreadable lines go to the log).
    public func releases() throws(DeployError) -> [Release] {
        let (releases, warnings) = try history.releases()
        for warning in warnings { say("warning: \(warning)") }
        return releases
    }

    /// What `deploy --dry-run` prints; reads the history, changes nothing, takes no lock.
    public func plan(version: String) throws(DeployError) -> DeployPlan {
        let releases = try releases()
        return DeployPlan.make(config: config, version: version, current: ReleaseHistory.current(releases),
                               release: ReleaseHistory.nextID(releases), environment: environment)
    }

    // MARK: deploy

    /// Deploys `version`; see the type's summary. Outcomes are in the report; only a held lock
    /// (`LockError`, exit 4) or an unwritable history throws.
    public func deploy(version: String) throws -> DeployReport {
        let lock = try takeLock(command: "vaultops deploy --version \(version)")
        defer { lock.release() }
        Interruption.install()
        let releases = try releases()
        let current = ReleaseHistory.current(releases)
        let session = try Session(id: ReleaseHistory.nextID(releases), deployer: self)
        try session.start(.started(session.id, at: Date(), action: .deploy, version: version, previous: current))
        session.say("release \(session.id): deploying \(version) " + (current.map { "over \($0.version) (\($0.id))" } ?? "as the first release"))

        var variables: [String: String]
        let artifacts: [BackupPointArtifact]
        switch try prepare(session, version: version, previous: current, action: "deploy", unchanged: "no stage ran",
                           interrupted: "before any stage ran; nothing was deployed") {
        case let .aborted(report): return report
        case let .ready(ready, backupPoint): (variables, artifacts) = (ready, backupPoint)
        }
        guard let failure = session.runStages(variables: variables, phase: .deploy) else {
            let release = session.finish(.succeeded, "\(version) deployed as \(session.id); every gate passed")
            session.postDeploy(variables: variables, standing: "the release")
            return release
        }

        if let signal = Interruption.signal {
            return session.finish(.failed, "stopped by \(Interruption.name(signal)) during \(failure.description); not rolled back: "
                                  + "check the services, then run vaultops rollback if needed")
        }
        session.onFailure(failure, variables: variables)
        guard let current else {
            return session.finish(.failed, "\(failure.description); nothing to roll back to (this was the first release)")
        }
        // Roll back: the same stages with the previous version; the version that failed is now the "previous" one.
        session.say("rolling back to \(current.version) (\(current.id))")
        variables["VERSION"] = current.version
        variables["PREVIOUS_VERSION"] = version
        variables["VAULTOPS_ACTION"] = "rollback"
        var dataNote = artifacts.isEmpty ? "data left alone (there is no backup point: deploy.backup_point is empty)"
            : "data left alone (restore_data_on_rollback: never; vaultops rollback --with-data restores it)"
        if deployConfig.restoreDataOnRollback == .always && !artifacts.isEmpty {
            if let problem = session.stopAndRestore(artifacts, variables: variables) {
                // Writers stay stopped: starting the old version on data the new one changed could make things worse.
                return session.finish(.rollbackFailed, "\(failure.description); rollback FAILED: \(problem); the stages were not run again, "
                                      + "so what stop: stopped stays stopped (restore with vaultops restore, then vaultops rollback)")
            }
            dataNote = "data restored from the backup point"
        }
        if let rollbackFailure = session.runStages(variables: variables, phase: .rollback) {
            if Interruption.signal == nil { session.onFailure(rollbackFailure, variables: variables) }
            return session.finish(.rollbackFailed, "\(failure.description); rollback to \(current.version) FAILED too: \(rollbackFailure.description)")
        }
        return session.finish(.rolledBack, "\(failure.description); rolled back to \(current.version) (\(current.id)), gates pass; \(dataNote)")
    }

    // MARK: rollback

    /// Rolls back: `release` (or, when nil, the one before the release running now) runs again, after a fresh
    /// verified backup point so the rollback can itself be undone; with `withData` the writers are stopped and
    /// the data restored from the backup point taken just before the first undone release.
    ///
    /// - Throws: `LockError` (exit 4), `DeployError.noRollbackTarget` (exit 2) before anything is recorded.
    public func rollback(to requested: String?, withData: Bool) throws -> DeployReport {
        let lock = try takeLock(command: "vaultops rollback" + (requested.map { " \($0)" } ?? "") + (withData ? " --with-data" : ""))
        defer { lock.release() }
        Interruption.install()
        let releases = try releases()
        let choice = try ReleaseHistory.rollbackChoice(requested: requested, releases: releases, withData: withData)
        let current = ReleaseHistory.current(releases)
        let target = choice.target
        let session = try Session(id: ReleaseHistory.nextID(releases), deployer: self)
        try session.start(.started(session.id, at: Date(), action: .rollback, version: target.version, previous: current,
                                    target: target.id, withData: withData))
        let undone = choice.undone.map { "\($0.id) (\($0.version), \($0.outcome.rawValue))" }.joined(separator: ", ")
        let point = "the backup point of \(choice.dataFrom.id) (taken \(Manifest.timestamp(choice.dataFrom.startedAt)), before \(choice.dataFrom.version) was deployed)"
        let data = withData ? "data: \(point) is restored" : choice.dataFrom.backupPoint.isEmpty ? "data left alone"
            : "data left alone (--with-data would restore \(point))"
        session.say("release \(session.id): rolling back to \(target.version) (\(target.id)), undoing \(undone); \(data)")

        let variables: [String: String]
        let artifacts: [BackupPointArtifact]
        switch try prepare(session, version: target.version, previous: current, action: "rollback",
                           unchanged: "nothing was changed", interrupted: "before anything was changed") {
        case let .aborted(report): return report
        case let .ready(ready, backupPoint): (variables, artifacts) = (ready, backupPoint)
        }
        var dataNote: String
        if withData {
            let source = choice.dataFrom
            session.say("restoring data from the backup point of \(source.id) (taken \(Manifest.timestamp(source.startedAt)), before \(source.version) was deployed)")
            if let problem = session.stopAndRestore(source.backupPoint, variables: variables) {
                return session.finish(.failed, "rollback FAILED: \(problem); the stages were not run, so what stop: stopped stays stopped")
            }
            dataNote = "data restored from the backup point of \(source.id): \(source.backupPoint.map(\.path).joined(separator: ", "))"
        } else {
            dataNote = "data left alone: no database was restored"
            if !choice.dataFrom.backupPoint.isEmpty {
                dataNote += " (add --with-data to restore the backup point of \(choice.dataFrom.id): \(choice.dataFrom.backupPoint.map(\.path).joined(separator: ", ")))"
            }
        }
        if let failure = session.runStages(variables: variables, phase: .rollback) {
            if Interruption.signal == nil { session.onFailure(failure, variables: variables) }
            let undo = artifacts.isEmpty ? "" : "; the data as it was before this rollback is in \(artifacts.map(\.path).joined(separator: ", "))"
            return session.finish(.failed, "rollback to \(target.version) FAILED: \(failure.description); \(dataNote)\(undo)")
        }
        let report = session.finish(.succeeded, "rolled back to \(target.version) (\(target.id)) as \(session.id); every gate passed; \(dataNote)")
        session.postDeploy(variables: variables, standing: "the rollback")
        return report
    }

    // MARK: shared steps

    // MARK: shared steps

    /// What deploy and rollback have once they may change something, or the report of why they stopped.
    private enum Preparation {
        case ready(variables: [String: String], backupPoint: [BackupPointArtifact])
        case aborted(DeployReport)
    }

    /// The steps deploy and rollback share before they change anything: preflight, a verified backup point, the
    /// commands' variables, `pre_deploy`, and a last look for a stop signal. `unchanged` and `interrupted` end the
    /// messages of a failed `pre_deploy` and of a signal.
    private func prepare(_ session: Session, version: String, previous: Release?, action: String, unchanged: String,
                         interrupted: String) throws(DeployError) -> Preparation {
        if let problem = preflight() {
            session.step(StepRecord(phase: .preflight, name: "preflight", ok: false, seconds: 0, detail: problem))
            return .aborted(session.finish(.aborted, "preflight failed: \(problem); nothing was changed"))
        }
        let artifacts: [BackupPointArtifact]
        do throws(DeployError) {
            artifacts = try takeBackupPoint(session)
        } catch {
            guard error.kind == .backupPoint else { throw error }
            return .aborted(session.finish(.aborted, error.message))
        }
        let variables = ["VERSION": version, "PREVIOUS_VERSION": previous?.version ?? "", "RELEASE": session.id,
                         "BACKUP_POINT": artifacts.map(\.path).joined(separator: ":"), "VAULTOPS_ACTION": action]
        if let hook = deployConfig.preDeploy {
            let result = session.hook("pre_deploy", hook, variables: variables)
            guard result.succeeded else {
                session.showTail(result.tail, of: "pre_deploy")
                return .aborted(session.finish(.aborted, "pre_deploy failed (\(result.summary)); \(unchanged)"))
            }
        }
        if let signal = Interruption.signal {
            return .aborted(session.finish(.aborted, "stopped by \(Interruption.name(signal)) \(interrupted)"))
        }
        return .ready(variables: variables, backupPoint: artifacts)
    }

    private func takeLock(command: String) throws -> ProcessLock {
        guard let path = config.lockPath else {
            throw DeployError(.configuration, "no lock path (deploy.state_dir is required)")
        }
        if let wait = deployConfig.lockWait {
            say("taking the lock \(path) (waiting up to \(formatDuration(wait)) if another vaultops holds it)")
        }
        return try ProcessLock.acquire(path: path, wait: deployConfig.lockWait, command: command)
    }

    /// The first preflight problem: config checks, then the backup folder and its free space.
    private func preflight() -> String? {
        if let problem = DeployPlan.preflightProblems(config: config, environment: environment).first { return problem }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: workingDirectory, isDirectory: &isDir), isDir.boolValue else {
            return "the working folder \(workingDirectory) does not exist"
        }
        guard !deployConfig.backupPoint.isEmpty, let backupDir = config.backupDir else { return nil }
        guard FileManager.default.fileExists(atPath: backupDir, isDirectory: &isDir), isDir.boolValue else {
            return "backup_dir \(backupDir) does not exist"
        }
        let needed = BackupPoint.estimatedBytes(previous: BackupPoint.previousSizes(sources: deployConfig.backupPoint, backupDir: backupDir))
        if let free = BackupPoint.freeBytes(at: backupDir), free < needed {
            return "only \(ProgressReporter.formatBytes(free)) free in \(backupDir), the backup point needs about \(ProgressReporter.formatBytes(needed))"
        }
        return nil
    }

    private func takeBackupPoint(_ session: Session) throws(DeployError) -> [BackupPointArtifact] {
        guard !deployConfig.backupPoint.isEmpty else {
            session.say("backup point: none configured (deploy.backup_point is empty)")
            return []
        }
        let started = Date()
        do throws(DeployError) {
            let artifacts = try BackupPoint.take(sources: deployConfig.backupPoint, config: config) { session.say($0) }
            session.append(.backupPoint(session.id, at: Date(), artifacts: artifacts))
            session.step(StepRecord(phase: .backup, name: "backup point", ok: true, seconds: Date().timeIntervalSince(started),
                                        detail: artifacts.map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ", ") + " verified"))
            return artifacts
        } catch {
            guard error.kind == .backupPoint else { throw error }
            session.step(StepRecord(phase: .backup, name: "backup point", ok: false, seconds: Date().timeIntervalSince(started),
                                        detail: error.message))
            session.say("backup point FAILED: \(error.message)")
            throw error
        }
    }
}

@available(*, unavailable)
extension Deployer: Sendable {}

/// A stage or gate that failed.
struct StageFailure: CustomStringConvertible {
    var stage: StageConfig
    var phase: StepRecord.Phase
    /// `exit 2`, `unhealthy after 4 attempts: HTTP 500`.
    var detail: String
    var gate: Bool
    var tail: [String]

    var description: String {
        "\(phase == .rollback ? "rollback " : "")stage \(stage.name) \(gate ? "gate failed" : "failed"): \(detail)"
    }
}

/// One release in progress: its id, history lines, output log and command runners.
private final class Session {
    let id: String
    let deployer: Deployer
    let output: ReleaseOutput
    let runner: CommandRunner
    let gates: HealthGateRunner
    let environment: StageEnvironment
    private var events: [ReleaseEvent] = []

    init(id: String, deployer: Deployer) throws(DeployError) {
        self.id = id
        self.deployer = deployer
        output = try ReleaseOutput(stateDir: deployer.deployConfig.stateDir, release: id)
        let processEnvironment = ProcessInfo.processInfo.environment
        runner = CommandRunner(workingDirectory: deployer.workingDirectory, environment: processEnvironment, output: output)
        gates = HealthGateRunner(commands: runner)
        environment = StageEnvironment(config: deployer.config, processEnvironment: processEnvironment)
        // Not exported, but a command may source the .env and print it (`set -x`, a client's error message).
        for (name, value) in deployer.config.dotEnv where CommandRunner.looksSecret(name: name) && value.count >= 6 {
            Redacted.register(secret: value)
        }
    }

    var config: DeployConfig { deployer.deployConfig }

    func say(_ line: String) {
        deployer.sayLine(line)
        output.write("-- \(line)")
    }

    /// Records the release's first line; a history that cannot be written stops the release before any change.
    func start(_ event: ReleaseEvent) throws(DeployError) {
        try deployer.history.append(event)
        events.append(event)
    }

    /// Records a later line. Once started, a release goes on (and rolls back) even when the history cannot be
    /// written: that is reported, never a reason to leave a half-deployed host.
    func append(_ event: ReleaseEvent) {
        do {
            try deployer.history.append(event)
        } catch {
            say("warning: could not record this step in the release history: \(error)")
        }
        events.append(event)
    }

    func step(_ step: StepRecord) {
        append(.step(id, at: Date(), step))
    }

    func finish(_ outcome: ReleaseOutcome, _ message: String) -> DeployReport {
        append(.finished(id, at: Date(), outcome: outcome, message: Redacted.text(message)))
        say("\(outcome == .succeeded ? "done" : outcome.rawValue.replacingOccurrences(of: "_", with: " ").uppercased()): \(message)")
        let release = ReleaseHistory.fold(events).first!
        return DeployReport(release: release, logFile: output.url.path)
    }

    /// Runs `command` with `variables` and `deploy.env:` (read now, the `.env` as it is at this moment); a result
    /// that could not start when they cannot be read.
    func run(_ command: String, label: String, variables: [String: String], timeout: Duration?) -> CommandResult {
        do throws(DeployError) {
            return runner.run(command, label: label, variables: try environment.variables(variables), timeout: timeout)
        } catch {
            output.write("== \(label): could not start: \(error)")
            return CommandResult(exitStatus: nil, signal: nil, timedOut: false, seconds: 0, tail: [], startFailure: error.description)
        }
    }

    /// Waits for a stage's gate, its `${VERSION}` (and vaultops's other variables) filled in now.
    func gate(_ check: HealthCheck, label: String, variables: [String: String]) -> GateResult {
        do throws(DeployError) {
            let resolved = try environment.variables(variables)
            return gates.wait(for: check.expanded(resolved), label: label, variables: resolved) { say($0) }
        } catch {
            return GateResult(healthy: false, attempts: 0, seconds: 0, lastDetail: error.description)
        }
    }

    /// Runs a hook command and records it.
    func hook(_ name: String, _ command: String, variables: [String: String]) -> CommandResult {
        say("\(name): \(commandLine(command))")
        let result = run(command, label: name, variables: variables, timeout: nil)
        step(StepRecord(phase: .hook, name: name, ok: result.succeeded, seconds: result.seconds, detail: result.summary))
        return result
    }

    /// Runs every stage and its gate in order; the first failure, or nil when all passed.
    func runStages(variables: [String: String], phase: StepRecord.Phase) -> StageFailure? {
        let version = variables["VERSION"] ?? ""
        for stage in config.stages {
            let prefix = phase == .rollback ? "rollback " : ""
            if let signal = Interruption.signal {
                return StageFailure(stage: stage, phase: phase, detail: "not started: vaultops got \(Interruption.name(signal))",
                                    gate: false, tail: [])
            }
            say("\(prefix)stage \(stage.name): \(commandLine(stage.run)) (VERSION=\(version))")
            let result = run(stage.run, label: "\(prefix)stage \(stage.name)", variables: variables, timeout: stage.timeout)
            step(StepRecord(phase: phase, name: stage.name, ok: result.succeeded, seconds: result.seconds, detail: result.summary))
            guard result.succeeded else {
                say("\(prefix)stage \(stage.name) FAILED: \(result.summary)")
                return StageFailure(stage: stage, phase: phase, detail: result.summary, gate: false, tail: result.tail)
            }
            guard let check = stage.health else {
                say("\(prefix)stage \(stage.name): \(result.summary) in \(formatSeconds(result.seconds)) (no gate)")
                continue
            }
            say("\(prefix)stage \(stage.name): \(result.summary) in \(formatSeconds(result.seconds)); gate: \(DeployPlan.describe(check.expanded(variables)))")
            let gate = self.gate(check, label: "\(prefix)gate \(stage.name)", variables: variables)
            let detail = "\(gate.healthy ? "healthy" : "unhealthy") after \(gate.attempts) attempt\(gate.attempts == 1 ? "" : "s") in \(formatSeconds(gate.seconds)): \(gate.lastDetail)"
            step(StepRecord(phase: phase, name: "\(stage.name) gate", ok: gate.healthy, seconds: gate.seconds, detail: detail))
            say("\(prefix)gate \(stage.name): \(detail)")
            guard gate.healthy else {
                return StageFailure(stage: stage, phase: phase, detail: detail, gate: true, tail: result.tail)
            }
        }
        return nil
    }

    /// on_failure hook, then the failed stage's output tail (or its `logs:` command's output).
    func onFailure(_ failure: StageFailure, variables: [String: String]) {
        var vars = variables
        vars["FAILED_STAGE"] = failure.stage.name
        if let logs = failure.stage.logs {
            let result = run(logs, label: "logs \(failure.stage.name)", variables: vars, timeout: .seconds(60))
            showTail(result.tail, of: "logs of \(failure.stage.name) (\(logs))")
        } else {
            showTail(failure.tail, of: "stage \(failure.stage.name)")
        }
        if let hook = config.onFailure {
            let result = self.hook("on_failure", hook, variables: vars)
            if !result.succeeded { showTail(result.tail, of: "on_failure") }
        }
    }

    /// post_deploy hook after a success; its failure is a warning, since `standing` (what succeeded) is already recorded.
    func postDeploy(variables: [String: String], standing: String) {
        guard let hook = config.postDeploy else { return }
        let result = self.hook("post_deploy", hook, variables: variables)
        if !result.succeeded {
            showTail(result.tail, of: "post_deploy")
            say("warning: post_deploy failed (\(result.summary)); \(standing) stands")
        }
    }

    /// Prints the last lines of some output, indented, so people see why without opening the log.
    func showTail(_ tail: [String], of what: String) {
        let shown = tail.suffix(20)
        guard !shown.isEmpty else {
            say("\(what): no output (full log: \(output.url.path))")
            return
        }
        say("last \(shown.count) lines of \(what) (full log: \(output.url.path)):")
        for line in shown { deployer.sayLine("  | \(line)") }
    }

    /// The `stop:` command, then every artifact restored; a problem description, or nil when all worked.
    func stopAndRestore(_ artifacts: [BackupPointArtifact], variables: [String: String]) -> String? {
        if let stop = config.stop {
            say("stop: \(commandLine(stop))")
            let result = run(stop, label: "stop", variables: variables, timeout: nil)
            step(StepRecord(phase: .stop, name: "stop", ok: result.succeeded, seconds: result.seconds, detail: result.summary))
            guard result.succeeded else {
                showTail(result.tail, of: "stop")
                return "stop failed (\(result.summary)); no data was restored"
            }
        }
        let steps = BackupPoint.restore(artifacts, config: deployer.config) { say($0) }
        for s in steps { step(s) }
        if let bad = steps.first(where: { !$0.ok }) {
            return "restoring \(bad.name) failed: \(bad.detail)"
        }
        return nil
    }
}

extension Deployer {
    /// A progress line for people (redacted).
    fileprivate func sayLine(_ line: String) { say(line) }
}

/// A command for a progress line: its first line, and how many more there are.
func commandLine(_ command: String) -> String {
    let lines = command.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard let first = lines.first else { return command }
    return lines.count == 1 ? first : "\(first) … (+\(lines.count - 1) lines)"
}
