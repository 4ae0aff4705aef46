import Foundation
import Yams

/// Loads `vaultops.yml`: YAML → checked, typed `Config`, with errors that name the key path and line.
///
/// Uses Yams' `compose` (a node tree with line marks) rather than `Decodable`, because Decodable loses
/// the line and silently ignores unknown keys — and a misspelt `keep_days` must not quietly keep nothing.
public enum ConfigLoader {
    /// Where the config is looked for when `--config` is not given and `VAULTOPS_CONFIG` is unset.
    public static let defaultPath = "/etc/vaultops/vaultops.yml"

    /// The config file to use: `explicit`, else `$VAULTOPS_CONFIG`, else `./vaultops.yml` if present, else `defaultPath`.
    public static func configURL(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                                 currentDirectory: String = FileManager.default.currentDirectoryPath) -> URL {
        if let explicit, !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        if let env = environment["VAULTOPS_CONFIG"], !env.isEmpty { return URL(fileURLWithPath: env) }
        let local = URL(fileURLWithPath: currentDirectory).appendingPathComponent("vaultops.yml")
        if FileManager.default.fileExists(atPath: local.path) { return local }
        return URL(fileURLWithPath: defaultPath)
    }

    /// Reads the config at `url` and the `.env` beside it; the process environment wins over `.env`
    /// (docker compose's rule).
    public static func load(from url: URL,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> Config {
        let file = url.path
        let text: String
        do {
            text = try utf8Text(Data(contentsOf: url), file: file)
        } catch let error as ConfigError {
            throw error
        } catch {
            let exists = FileManager.default.fileExists(atPath: file)
            throw ConfigError(file: file, line: nil,
                              message: exists ? "cannot read the config file: \(error.localizedDescription)"
                                  : "the config file does not exist (pass --config FILE or set VAULTOPS_CONFIG)")
        }
        let envURL = url.deletingLastPathComponent().appendingPathComponent(".env")
        var dotEnv: [String: String] = [:]
        if FileManager.default.fileExists(atPath: envURL.path) {
            // A .env that exists but cannot be read would silently change what ${VAR} means: refuse it.
            guard let envData = try? Data(contentsOf: envURL) else {
                throw ConfigError(file: envURL.path, line: nil, message: "cannot read the .env file beside the config")
            }
            dotEnv = try parseDotEnv(try utf8Text(envData, file: envURL.path), file: envURL.path, environment: environment)
        }
        return try parse(yaml: text, file: file, baseDirectory: url.deletingLastPathComponent(),
                         environment: environment, dotEnv: dotEnv)
    }

    /// Parses config text; `file` names it in errors and relative paths resolve against `baseDirectory`.
    public static func parse(yaml: String, file: String, baseDirectory: URL, environment: [String: String] = [:],
                             dotEnv: [String: String] = [:]) throws(ConfigError) -> Config {
        let root: Node?
        do {
            root = try Yams.compose(yaml: hidingVariableBraces(yaml))
        } catch let error as YamlError {
            throw yamlError(error, file: file)
        } catch {
            throw ConfigError(file: file, line: nil, message: "not valid YAML")
        }
        guard let root else { throw ConfigError(file: file, line: 1, message: "the config file is empty") }
        let reader = Reader(file: file, baseDirectory: baseDirectory, lookup: { environment[$0] ?? dotEnv[$0] })
        var config = try reader.config(YAMLValue(node: root, path: ""))
        config.dotEnv = dotEnv
        return config
    }

    /// A problem in `${…}` substitution.
    public enum SubstitutionError: Error, Equatable {
        /// `${NAME}` with NAME unset and no default.
        case unset(String)
        /// `${NAME:?message}` with NAME unset or empty.
        case required(String, message: String)
        /// A `${` without its `}` or with a bad name.
        case syntax(String)
    }

    /// Replaces `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}` and `$$` in `text`.
    ///
    /// docker compose's rules: `:-` also replaces an empty value, `-` only an unset one; defaults may
    /// themselves hold `${…}`. With `bareNames` (`.env` files), `$VAR` is a reference too; otherwise, and
    /// always before anything but a name, a `$` stays as it is.
    public static func substitute(_ text: String, bareNames: Bool = false,
                                  lookup: (String) -> String?) throws(SubstitutionError) -> String {
        guard text.contains("$") else { return text }
        let chars = Array(text)
        var out = ""
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "$", i + 1 < chars.count else { out.append(c); i += 1; continue }
            if chars[i + 1] == "$" { out.append("$"); i += 2; continue }
            guard chars[i + 1] == "{" else {
                var end = i + 1
                while bareNames, end < chars.count, chars[end].isASCII,
                      chars[end].isLetter || chars[end].isNumber || chars[end] == "_" { end += 1 }
                let name = String(chars[(i + 1)..<end])
                guard isVariableName(name) else { out.append(c); i += 1; continue }
                guard let value = lookup(name) else { throw .unset(name) }
                out += value
                i = end
                continue
            }
            // Find the matching `}`, allowing nested `${…}` in a default.
            var depth = 1
            var j = i + 2
            while j < chars.count, depth > 0 {
                if chars[j] == "{" { depth += 1 } else if chars[j] == "}" { depth -= 1 }
                if depth > 0 { j += 1 }
            }
            guard j < chars.count else { throw .syntax("'${' without a closing '}'") }
            let inner = String(chars[(i + 2)..<j])
            let nameEnd = inner.firstIndex(where: { !($0.isLetter || $0.isNumber || $0 == "_") || !$0.isASCII }) ?? inner.endIndex
            let name = String(inner[..<nameEnd])
            let op = inner[nameEnd...]
            guard isVariableName(name) else { throw .syntax("'${\(inner)}' is not a variable reference") }
            let value = lookup(name)
            if op.isEmpty {
                guard let value else { throw .unset(name) }
                out += value
            } else if op.hasPrefix(":-") || op.hasPrefix("-") {
                let emptyCounts = op.hasPrefix(":-")
                let fallback = String(op.dropFirst(emptyCounts ? 2 : 1))
                if let value, !(emptyCounts && value.isEmpty) {
                    out += value
                } else {
                    out += try substitute(fallback, bareNames: bareNames, lookup: lookup)
                }
            } else if op.hasPrefix(":?") || op.hasPrefix("?") {
                let emptyCounts = op.hasPrefix(":?")
                if let value, !(emptyCounts && value.isEmpty) {
                    out += value
                } else {
                    let message = String(op.dropFirst(emptyCounts ? 2 : 1))
                    throw .required(name, message: message.isEmpty ? "is required" : message)
                }
            } else {
                throw .syntax("'${\(inner)}' is not a variable reference")
            }
            i = j + 1
        }
        return out
    }

    static func isVariableName(_ s: some StringProtocol) -> Bool {
        guard let first = s.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    private static func yamlError(_ error: YamlError, file: String) -> ConfigError {
        // Build the message ourselves: Yams' description quotes the YAML text, which may hold a secret.
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let detail = context.map { "\(problem) (\($0.text) at line \($0.mark.line))" } ?? problem
            return ConfigError(file: file, line: mark.line, message: "invalid YAML: \(detail)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return ConfigError(file: file, line: context.mark.line,
                               message: "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in a mapping")
        case let .reader(problem, _, _, _):
            return ConfigError(file: file, line: nil, message: "cannot read the YAML: \(problem)")
        default:
            return ConfigError(file: file, line: nil, message: "invalid YAML")
        }
    }
}

// MARK: - Node reading

/// A node with its key path, for messages.
struct YAMLValue {
    let node: Node
    let path: String

    var line: Int? { node.mark?.line }

    /// `path` extended by a key or an index.
    func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
    func child(_ index: Int) -> String { path + "[\(index)]" }

    /// An explicit `null`, `~` or empty value.
    var isNull: Bool {
        guard case let .scalar(scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }
}

/// Walks the node tree; every error names the key path and the line.
struct Reader {
    let file: String
    let baseDirectory: URL
    let lookup: (String) -> String?

    func error(_ value: YAMLValue, _ message: String) -> ConfigError {
        ConfigError(file: file, line: value.line, keyPath: value.path, message: message)
    }

    /// The pairs of a mapping, rejecting keys not in `allowed`.
    func mapping(_ value: YAMLValue, allowed: [String]) throws(ConfigError) -> Fields {
        guard case let .mapping(mapping) = value.node else {
            throw error(value, "'\(value.path)' should be a mapping of keys (\(allowed.joined(separator: ", ")))")
        }
        var fields: [String: YAMLValue] = [:]
        for (keyNode, child) in mapping {
            guard case let .scalar(key) = keyNode else {
                throw ConfigError(file: file, line: keyNode.mark?.line, keyPath: value.path,
                                  message: "keys of '\(value.path.isEmpty ? "the config" : value.path)' must be plain names")
            }
            let path = value.child(key.string)
            guard allowed.contains(key.string) else {
                var message = "unknown key '\(path)'"
                if let suggestion = closest(key.string, in: allowed) { message += " (did you mean '\(suggestion)'?)" }
                throw ConfigError(file: file, line: keyNode.mark?.line, keyPath: path, message: message)
            }
            fields[key.string] = YAMLValue(node: child, path: path)
        }
        return Fields(owner: value, values: fields, reader: self)
    }

    /// The scalar text of `value`, `${…}` substituted.
    func string(_ value: YAMLValue, substitute: Bool = true) throws(ConfigError) -> String {
        guard case let .scalar(scalar) = value.node else {
            throw error(value, "'\(value.path)' should be a single value, not a \(value.node.mapping != nil ? "mapping" : "list")")
        }
        let text = ConfigLoader.restoringVariableBraces(scalar.string)
        guard substitute else { return text }
        do {
            return try ConfigLoader.substitute(text, lookup: lookup)
        } catch let failure {
            switch failure {
            case let .unset(name):
                throw error(value, "variable '\(name)' used by '\(value.path)' is not set (set it in the environment or in .env, or write ${\(name):-default})")
            case let .required(name, message):
                throw error(value, "variable '\(name)' used by '\(value.path)': \(message)")
            case let .syntax(detail):
                throw error(value, "'\(value.path)': \(detail) (write $$ for a literal $)")
            }
        }
    }

    /// A non-empty string.
    func nonEmpty(_ value: YAMLValue) throws(ConfigError) -> String {
        let s = try string(value)
        guard !s.trimmingCharacters(in: .whitespaces).isEmpty else { throw error(value, "'\(value.path)' is empty") }
        return s
    }

    func int(_ value: YAMLValue, in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let s = try string(value).trimmingCharacters(in: .whitespaces)
        guard let n = Int(s) else { throw error(value, "'\(value.path)' should be a whole number, not '\(s)'") }
        guard range.contains(n) else {
            let bound = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
            throw error(value, "'\(value.path)' should be \(bound), not \(n)")
        }
        return n
    }

    func duration(_ value: YAMLValue) throws(ConfigError) -> Duration {
        let s = try string(value)
        guard let d = DurationParser.parse(s) else {
            throw error(value, "'\(value.path)' should be a duration like 10s, 5m or 1h, not '\(s)'")
        }
        return d
    }

    /// A list of strings; a single string counts as a list of one.
    func stringList(_ value: YAMLValue) throws(ConfigError) -> [String] {
        switch value.node {
        case .scalar:
            return [try nonEmpty(value)]
        case let .sequence(sequence):
            var items: [String] = []
            for (index, node) in sequence.enumerated() {
                items.append(try nonEmpty(YAMLValue(node: node, path: value.child(index))))
            }
            guard !items.isEmpty else { throw error(value, "'\(value.path)' is an empty list") }
            return items
        default:
            throw error(value, "'\(value.path)' should be a list")
        }
    }

    func list(_ value: YAMLValue) throws(ConfigError) -> [YAMLValue] {
        guard case let .sequence(sequence) = value.node else { throw error(value, "'\(value.path)' should be a list") }
        return sequence.enumerated().map { YAMLValue(node: $1, path: value.child($0)) }
    }

    /// A path: `~/` expanded, relative paths resolved against the config's folder.
    func path(_ value: YAMLValue) throws(ConfigError) -> String {
        resolve(try nonEmpty(value))
    }

    func resolve(_ raw: String) -> String {
        var p = raw
        if p == "~" || p.hasPrefix("~/") {
            p = FileManager.default.homeDirectoryForCurrentUser.path + p.dropFirst()
        }
        if p.hasPrefix("/") { return p }
        return baseDirectory.appendingPathComponent(p).standardizedFileURL.path
    }

    // MARK: Sections

    func config(_ root: YAMLValue) throws(ConfigError) -> Config {
        let top = try mapping(root, allowed: ["backup_dir", "timezone", "sources", "oss", "retention", "notify",
                                              "metrics", "deploy"])
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
                                             "access_key_secret", "session_token"])
        var oss = OSSConfig(bucket: try nonEmpty(try f.required("bucket")))
        oss.prefix = try f["prefix"].map { v throws(ConfigError) in try string(v) }
        oss.endpoint = try f["endpoint"].map { v throws(ConfigError) in try nonEmpty(v) }
        oss.region = try f["region"].map { v throws(ConfigError) in try nonEmpty(v) }
        oss.accessKeyID = try f["access_key_id"].map { v throws(ConfigError) in try nonEmpty(v) }
        oss.accessKeySecret = try f["access_key_secret"].map { v throws(ConfigError) in Secret(try nonEmpty(v)) }
        oss.sessionToken = try f["session_token"].map { v throws(ConfigError) in Secret(try nonEmpty(v)) }
        return oss
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

/// The fields of one mapping, for `required`/optional access with good messages.
struct Fields {
    let owner: YAMLValue
    let values: [String: YAMLValue]
    let reader: Reader

    /// The value at `key`; an explicit null counts as absent.
    subscript(key: String) -> YAMLValue? {
        guard let v = values[key], !v.isNull else { return nil }
        return v
    }

    func required(_ key: String) throws(ConfigError) -> YAMLValue {
        if let v = self[key] { return v }
        let path = owner.child(key)
        if let v = values[key] { throw reader.error(v, "'\(path)' has no value") }
        throw reader.error(owner, "missing required key '\(path)'")
    }
}

/// The allowed key nearest to `key` when it is a likely typo (edit distance ≤ 2).
private func closest(_ key: String, in allowed: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var current = [i + 1]
            for (j, cb) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (ca == cb ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
    let k = Array(key.lowercased())
    let best = allowed.map { ($0, distance(k, Array($0))) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= 2, best.1 < key.count else { return nil }
    return best.0
}
