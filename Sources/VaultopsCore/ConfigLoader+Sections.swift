import Foundation
import Yams

// The readers of the config's sections (`sources:` entries are in ConfigLoader+Sources.swift).
extension Reader {
    func config(_ root: YAMLValue) throws(ConfigError) -> Config {
        let top = try mapping(root, allowed: ["backup_dir", "timezone", "sources", "oss", "retention", "notify",
                                              "metrics", "deploy", "encryption"])
        var config = Config(file: file)
        if let v = top["backup_dir"] { config.backupDir = try path(v) }
        if let v = top["timezone"] {
            let name = try nonEmpty(v)
            guard let zone = TimeZone(identifier: name) else {
                throw error(v, "'timezone' is not a known time zone: '\(name)' (use a name like Asia/Shanghai or UTC)")
            }
            config.timeZone = zone
        }
        if let v = top["sources"] {
            var seen: [String: Int] = [:]
            for item in try list(v) {
                let source = try source(item)
                if let first = seen[source.name] {
                    throw error(item, "duplicate source name '\(source.name)' in '\(item.path)' (first used on line \(first)); give each source its own name")
                }
                seen[source.name] = source.line
                config.sources.append(source)
            }
            if config.backupDir == nil, !config.sources.isEmpty {
                throw error(root, "missing required key 'backup_dir' (where the sources' backups are written)")
            }
        }
        if let v = top["encryption"] { config.encryption = try encryption(v) }
        if let v = top["oss"] { config.oss = try oss(v) }
        if let v = top["retention"] { config.retention = try retention(v) }
        if let v = top["notify"] {
            let f = try mapping(v, allowed: ["webhook", "kind", "on_success"])
            let webhook = try nonEmpty(try f.required("webhook"))
            var notify = NotifyConfig(webhook: Secret(webhook))
            if let k = f["kind"] {
                let s = try nonEmpty(k).lowercased()
                guard NotifyConfig.kinds.contains(s) else {
                    throw error(k, "'\(k.path)' should be one of \(NotifyConfig.kinds.joined(separator: ", ")), not '\(s)'")
                }
                notify.kind = s
            }
            if let b = f["on_success"] {
                let s = try nonEmpty(b).lowercased()
                switch s {
                case "true", "yes", "on": notify.onSuccess = true
                case "false", "no", "off": notify.onSuccess = false
                default: throw error(b, "'\(b.path)' should be true or false, not '\(s)'")
                }
            }
            config.notify = notify
        }
        if let v = top["metrics"] {
            let f = try mapping(v, allowed: ["textfile"])
            config.metrics = MetricsConfig(textfile: try path(try f.required("textfile")))
        }
        if let v = top["deploy"] { config.deploy = try deploy(v, sources: config.sources) }
        return config
    }

    func oss(_ value: YAMLValue) throws(ConfigError) -> OSSConfig {
        let f = try mapping(value, allowed: ["bucket", "prefix", "endpoint", "region", "access_key_id",
                                             "access_key_secret", "session_token", "ram_role", "storage_class",
                                             "server_side_encryption", "kms_key_id", "limit_upload", "limit_download",
                                             "limit_window"])
        var oss = OSSConfig(bucket: try nonEmpty(try f.required("bucket")))
        oss.prefix = try f["prefix"].map { v throws(ConfigError) in try string(v) }
        oss.endpoint = try f["endpoint"].map { v throws(ConfigError) in try nonEmpty(v) }
        oss.region = try f["region"].map { v throws(ConfigError) in try nonEmpty(v) }
        oss.accessKeyID = try f["access_key_id"].map { v throws(ConfigError) in try nonEmpty(v) }
        oss.accessKeySecret = try f["access_key_secret"].map { v throws(ConfigError) in Secret(try nonEmpty(v)) }
        oss.sessionToken = try f["session_token"].map { v throws(ConfigError) in Secret(try nonEmpty(v)) }
        oss.ramRole = try f["ram_role"].map { v throws(ConfigError) in try nonEmpty(v) }
        oss.storageClass = try f["storage_class"].map { v throws(ConfigError) in
            try choice(v, ["Standard", "IA", "Archive", "ColdArchive"])
        }
        oss.serverSideEncryption = try f["server_side_encryption"].map { v throws(ConfigError) in try choice(v, ["AES256", "KMS"]) }
        oss.kmsKeyID = try f["kms_key_id"].map { v throws(ConfigError) in try nonEmpty(v) }
        oss.limitUpload = try f["limit_upload"].map { v throws(ConfigError) in try nonEmpty(v) }
        oss.limitDownload = try f["limit_download"].map { v throws(ConfigError) in try nonEmpty(v) }
        oss.limitWindow = try f["limit_window"].map { v throws(ConfigError) in try nonEmpty(v) }
        if let v = f["kms_key_id"], oss.serverSideEncryption != "KMS" {
            throw error(v, "'\(v.path)' needs server_side_encryption: KMS")
        }
        return oss
    }

    /// One of `allowed` (any case), returned as spelled there.
    func choice(_ value: YAMLValue, _ allowed: [String]) throws(ConfigError) -> String {
        let text = try nonEmpty(value)
        guard let found = allowed.first(where: { $0.lowercased() == text.lowercased() }) else {
            throw error(value, "'\(value.path)' must be one of \(allowed.joined(separator: ", ")), not '\(text)'")
        }
        return found
    }

    func retention(_ value: YAMLValue) throws(ConfigError) -> RetentionConfig {
        let keys = ["keep_days", "keep_last", "keep_daily", "keep_weekly", "keep_monthly"]
        let f = try mapping(value, allowed: keys)
        func count(_ key: String) throws(ConfigError) -> Int? {
            try f[key].map { v throws(ConfigError) in try int(v, in: 0...Int.max) }
        }
        let retention = RetentionConfig(keepDays: try count("keep_days"), keepLast: try count("keep_last"),
                                        keepDaily: try count("keep_daily"), keepWeekly: try count("keep_weekly"),
                                        keepMonthly: try count("keep_monthly"))
        guard !retention.isEmpty else {
            throw error(value, "'retention' sets no rule; set at least one of \(keys.joined(separator: ", "))")
        }
        return retention
    }

    func deploy(_ value: YAMLValue, sources: [SourceConfig]) throws(ConfigError) -> DeployConfig {
        let f = try mapping(value, allowed: ["state_dir", "backup_point", "stages", "working_dir",
                                             "restore_data_on_rollback", "required_env", "pre_deploy", "post_deploy",
                                             "on_failure", "stop", "lock_wait", "env"])
        var deploy = DeployConfig(stateDir: try path(try f.required("state_dir")))
        if let v = f["backup_point"] {
            for (index, name) in try stringList(v).enumerated() {
                guard sources.contains(where: { $0.name == name }) else {
                    let item = (try? list(v))?[index] ?? v
                    let known = sources.map(\.name).joined(separator: ", ")
                    throw error(item, "'\(item.path)' names source '\(name)', which is not in 'sources' (\(known.isEmpty ? "none defined" : known))")
                }
                if sources.first(where: { $0.name == name })?.archive == false {
                    let item = (try? list(v))?[index] ?? v
                    throw error(item, "'\(item.path)' names source '\(name)', which has 'archive: false' and so no backup to restore")
                }
                deploy.backupPoint.append(name)
            }
        }
        if let v = f["working_dir"] { deploy.workingDir = try path(v) }
        if let v = f["restore_data_on_rollback"] {
            let s = try nonEmpty(v)
            guard let policy = DeployConfig.RestoreDataOnRollback(rawValue: s) else {
                throw error(v, "'\(v.path)' should be 'never' or 'always', not '\(s)'")
            }
            deploy.restoreDataOnRollback = policy
        }
        if let v = f["required_env"] {
            deploy.requiredEnv = try stringList(v)
            for (index, name) in deploy.requiredEnv.enumerated() where !ConfigLoader.isVariableName(name) {
                let item = (try? list(v))?[index] ?? v
                throw error(item, "'\(item.path)' is not a variable name: '\(name)'")
            }
        }
        // Hook commands are for the shell, like stage commands: `${VERSION}` is filled in at deploy time.
        deploy.preDeploy = try f["pre_deploy"].map { v throws(ConfigError) in try command(v) }
        deploy.postDeploy = try f["post_deploy"].map { v throws(ConfigError) in try command(v) }
        deploy.onFailure = try f["on_failure"].map { v throws(ConfigError) in try command(v) }
        deploy.stop = try f["stop"].map { v throws(ConfigError) in try command(v) }
        deploy.lockWait = try f["lock_wait"].map { v throws(ConfigError) in try duration(v) }
        if let v = f["env"] { deploy.env = try deployEnv(v) }
        if let v = f["stages"] {
            var names: Set<String> = []
            for item in try list(v) {
                let stage = try stage(item)
                guard names.insert(stage.name).inserted else {
                    throw error(item, "duplicate stage name '\(stage.name)' in '\(item.path)'")
                }
                deploy.stages.append(stage)
            }
        }
        return deploy
    }

    func stage(_ item: YAMLValue) throws(ConfigError) -> StageConfig {
        let f = try mapping(item, allowed: ["name", "run", "timeout", "health", "logs"])
        let name = try nonEmpty(try f.required("name"))
        // The command is for the shell: its `${VERSION}` is filled in at deploy time, not now.
        var stage = StageConfig(name: name, run: try command(try f.required("run")))
        stage.timeout = try f["timeout"].map { v throws(ConfigError) in try duration(v) }
        if let v = f["health"] { stage.health = try health(v) }
        stage.logs = try f["logs"].map { v throws(ConfigError) in try command(v) }
        return stage
    }

    /// `deploy.env:`, a list of names or a mapping of NAME: value; values keep their `${…}` for when a command runs.
    func deployEnv(_ value: YAMLValue) throws(ConfigError) -> [DeployVariable] {
        var entries: [DeployVariable] = []
        if case let .mapping(mapping) = value.node {
            for (keyNode, child) in mapping {
                let item = YAMLValue(node: child, path: value.child(keyNode.string ?? "?"))
                guard let name = keyNode.string, ConfigLoader.isVariableName(name) else { throw error(item, "'\(item.path)' is not a variable name") }
                // `NAME:` with no value passes NAME on, as compose's `environment:` does.
                guard !item.isNull else { entries.append(DeployVariable(name: name)); continue }
                // Only the syntax now: the values are looked up when a command runs.
                _ = try Reader(file: file, baseDirectory: baseDirectory, lookup: { _ in "x" }).string(item)
                entries.append(DeployVariable(name: name, template: try string(item, substitute: false)))
            }
        } else {
            for (index, name) in try stringList(value).enumerated() {
                guard ConfigLoader.isVariableName(name) else {
                    throw error((try? list(value))?[index] ?? value, "'\(value.path)' has '\(name)', which is not a variable name")
                }
                entries.append(DeployVariable(name: name))
            }
        }
        return entries
    }

    /// Text of a gate: `${…}` substituted now except vaultops's own variables (`${VERSION}`, …), filled in when it runs.
    func gateText(_ value: YAMLValue) throws(ConfigError) -> String {
        let own = DeployConfig.vaultopsVariables
        let s = try Reader(file: file, baseDirectory: baseDirectory, lookup: { own.contains($0) ? "${\($0)}" : lookup($0) }).nonEmpty(value)
        return s
    }

    /// A shell command line, left unsubstituted (its `${VERSION}` belongs to the shell); empty is an error.
    func command(_ value: YAMLValue) throws(ConfigError) -> String {
        let text = try string(value, substitute: false)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else { throw error(value, "'\(value.path)' is empty") }
        return text
    }

    func health(_ value: YAMLValue) throws(ConfigError) -> HealthCheck {
        let probes = ["tcp", "http", "command"]
        let f = try mapping(value, allowed: probes + ["timeout", "retries", "interval", "start_period", "expect"])
        let present = probes.filter { f[$0] != nil }
        guard present.count == 1 else {
            let detail = present.isEmpty ? "has none" : "has \(present.map { "'\($0)'" }.joined(separator: " and "))"
            throw error(value, "'\(value.path)' needs exactly one of 'tcp', 'http' or 'command', but \(detail)")
        }
        let v = f[present[0]]!
        let probe: HealthCheck.Probe
        switch present[0] {
        case "tcp":
            let s = try nonEmpty(v)
            guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (1...65535).contains(port),
                  colon != s.startIndex else {
                throw error(v, "'\(v.path)' should be HOST:PORT, not '\(s)'")
            }
            var host = String(s[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            probe = .tcp(host: host, port: port)
        case "http":
            let s = try gateText(v)
            let sample = DeployConfig.vaultopsVariables.reduce(s) { $0.replacingOccurrences(of: "${\($1)}", with: "0") }
            guard let url = URL(string: sample), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  url.host != nil else {
                throw error(v, "'\(v.path)' should be an http:// or https:// URL, not '\(s)'")
            }
            probe = .http(url: s)
        default:
            probe = .command(try string(v, substitute: false))
        }
        var check = HealthCheck(probe: probe)
        if let t = f["timeout"] { check.timeout = try duration(t) }
        if let r = f["retries"] { check.retries = try int(r, in: 0...1000) }
        if let i = f["interval"] { check.interval = try duration(i) }
        if let s = f["start_period"] { check.startPeriod = try duration(s) }
        if let e = f["expect"] {
            guard case .http = probe else {
                throw error(e, "'\(e.path)' only applies to an 'http' gate (a '\(present[0])' gate has no body to check)")
            }
            check.expect = try gateText(e)
        }
        return check
    }
}
