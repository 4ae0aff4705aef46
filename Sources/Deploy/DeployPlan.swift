import Foundation
import VaultopsCore

/// What `deploy --dry-run` prints: every step a deploy of `version` would take, and the problems that would
/// stop it, computed without touching anything.
public struct DeployPlan: Sendable, Equatable {
    /// The release id the deploy would get.
    public var release: String
    public var version: String
    /// The release running now (rolled back to on failure).
    public var current: Release?
    /// The lines people read.
    public var lines: [String]
    /// Preflight problems that would abort the deploy (missing variables, no stages, …).
    public var problems: [String]

    /// The plan for `config`; `environment` is the process environment (for `required_env`).
    public static func make(config: Config, version: String, current: Release?, release: String,
                            environment: [String: String]) -> DeployPlan {
        var lines: [String] = []
        var problems: [String] = []
        guard let deploy = config.deploy else {
            return DeployPlan(release: release, version: version, current: current, lines: [],
                              problems: ["\(config.file) has no 'deploy:' section"])
        }
        let over = current.map { "over \($0.version) (\($0.id))" } ?? "as the first release"
        lines.append("deploy \(version) \(over) as \(release)")
        if let lock = config.lockPath {
            let wait = deploy.lockWait.map { "wait up to \(formatDuration($0)) for it" } ?? "exit 4 if another vaultops holds it"
            lines.append("lock: \(lock) (\(wait))")
        }
        lines.append("working folder: \(deploy.workingDir ?? URL(fileURLWithPath: config.file).deletingLastPathComponent().path)")
        problems += preflightProblems(config: config, environment: environment)
        if !deploy.requiredEnv.isEmpty {
            lines.append("preflight: required variables \(deploy.requiredEnv.joined(separator: ", "))")
        }
        if deploy.backupPoint.isEmpty {
            lines.append("backup point: none (deploy.backup_point is empty)")
        } else {
            lines.append("backup point, verified before any stage runs, into \(config.backupDir ?? "?"):")
            for name in deploy.backupPoint {
                let source = config.source(named: name)
                lines.append("  \(name): \(source.map { "\($0.kind) \($0.redactedTarget)" } ?? "?")")
            }
        }
        if let hook = deploy.preDeploy { lines.append("pre_deploy: \(commandLine(hook))") }
        for (index, stage) in deploy.stages.enumerated() {
            var line = "stage \(index + 1) \(stage.name): \(commandLine(stage.run))"
            if let timeout = stage.timeout { line += " (timeout \(formatDuration(timeout)))" }
            lines.append(line)
            let known = ["VERSION": version, "PREVIOUS_VERSION": current?.version ?? "", "RELEASE": release]
            lines.append("  gate: " + (stage.health.map { describe($0.expanded(known)) } ?? "none (the command's exit status only)"))
        }
        if let hook = deploy.postDeploy { lines.append("post_deploy: \(commandLine(hook))") }
        lines.append("environment of every command: VERSION=\(version) PREVIOUS_VERSION=\(current?.version ?? "") RELEASE=\(release) BACKUP_POINT=<artifact paths>"
                     + (deploy.env.isEmpty ? "" : ", and deploy.env: \(deploy.env.map(\.name).joined(separator: ", ")) (read when each command runs)"))
        var failure = "on failure: "
        if let hook = deploy.onFailure { failure += "run on_failure (\(commandLine(hook))), " }
        failure += "show the failed stage's output, "
        if let current {
            failure += "run the stages again with version \(current.version) (\(current.id)) and check the gates"
            if deploy.restoreDataOnRollback == .always {
                failure += "; data restored from the backup point first"
                if let stop = deploy.stop { failure += " after stop (\(commandLine(stop)))" }
            } else {
                failure += "; data left alone (restore_data_on_rollback: never)"
            }
        } else {
            failure += "nothing to roll back to (first release)"
        }
        lines.append(failure)
        return DeployPlan(release: release, version: version, current: current, lines: lines, problems: problems)
    }

    /// The checks before a deploy or rollback that need no I/O: stages present, required variables set.
    public static func preflightProblems(config: Config, environment: [String: String]) -> [String] {
        guard let deploy = config.deploy else { return ["\(config.file) has no 'deploy:' section"] }
        var problems: [String] = []
        if deploy.stages.isEmpty { problems.append("deploy.stages is empty: there is nothing to deploy") }
        let missing = deploy.requiredEnv.filter { (environment[$0] ?? config.dotEnv[$0] ?? "").isEmpty }
        if !missing.isEmpty {
            problems.append("required variable\(missing.count == 1 ? "" : "s") not set: \(missing.joined(separator: ", ")) (set in the environment or in .env)")
        }
        if !deploy.backupPoint.isEmpty, config.backupDir == nil { problems.append("deploy.backup_point needs backup_dir") }
        return problems
    }

    /// `http GET http://…/health expecting "ok"; start_period 10s, interval 5s, timeout 3s, retries 3`.
    public static func describe(_ check: HealthCheck) -> String {
        var probe: String
        switch check.probe {
        case let .tcp(host, port): probe = "tcp connect \(host.contains(":") ? "[\(host)]" : host):\(port)"
        case let .http(url):
            probe = "http GET \(url) answers 2xx"
            if let expect = check.expect { probe += " containing \"\(expect)\"" }
        case let .command(command): probe = "command exits 0: \(commandLine(command))"
        }
        return probe + "; start_period \(formatDuration(check.startPeriod)), interval \(formatDuration(check.interval)), "
            + "timeout \(formatDuration(check.timeout)), retries \(check.retries)"
    }

    /// The plan as printed, problems last.
    public var text: String {
        var out = lines
        for problem in problems { out.append("would abort: \(problem)") }
        return out.joined(separator: "\n") + "\n"
    }
}
