import Foundation
import Yams

// The readers of `sources:` entries (their own file: the loader would otherwise pass 600 lines).
extension Reader {
    static let sourceKinds = ["postgres", "postgres_all", "sqlite", "files"]
    static let sourceKeys = ["name"] + sourceKinds + ["level", "mirror", "allow_incomplete", "timeout", "drill", "schedule",
                                                       "exclude", "one_file_system", "archive", "engine", "pg_dump",
                                                       "encryption", "exclude_database", "replicate"]

    func source(_ item: YAMLValue) throws(ConfigError) -> SourceConfig {
        let f = try mapping(item, allowed: Self.sourceKeys)
        let present = Self.sourceKinds.filter { f[$0] != nil }
        guard present.count == 1 else {
            let detail = present.isEmpty ? "has none" : "has \(present.map { "'\($0)'" }.joined(separator: " and "))"
            throw error(item, "source '\(item.path)' needs exactly one of 'postgres', 'postgres_all', 'sqlite' or 'files', but \(detail)")
        }
        let target = try sourceTarget(kind: present[0], value: f[present[0]]!)
        let name = try sourceName(f["name"], target: target)
        let level = try f["level"].map { v throws(ConfigError) in try int(v, in: 0...9) }
        var mirror: String?
        if let v = f["mirror"] {
            guard case .files = target else {
                throw error(v, "'\(v.path)' applies to 'files' sources only (it mirrors their folders to OSS)")
            }
            let text = try nonEmpty(v).trimmingCharacters(in: .whitespaces)
            if let problem = Self.mirrorProblem(text) { throw error(v, "'\(v.path)': \(problem)") }
            mirror = text
        }
        var allowIncomplete = false
        if let v = f["allow_incomplete"] {
            guard case .postgres = target else {
                throw error(v, "'\(v.path)' applies to 'postgres' sources only (objects their dump cannot recreate)")
            }
            allowIncomplete = try flag(v)
        }
        let timeout = try f["timeout"].map { v throws(ConfigError) -> Duration in
            let d = try duration(v)
            guard d > .zero else { throw error(v, "'\(v.path)' must be longer than zero") }
            return d
        }
        var config = SourceConfig(name: name, target: target, level: level, mirror: mirror, line: item.line ?? 0,
                                  allowIncomplete: allowIncomplete, timeout: timeout)
        config.drill = try f["drill"].flatMap { v throws(ConfigError) -> DrillTarget? in try drill(v, target: target) }
        if let v = f["schedule"] { config.schedule = try schedule(v) }
        config.replicate = try f["replicate"].flatMap { v throws(ConfigError) in try replicate(v, target: target) }
        try engineOptions(f, into: &config)
        try wholeServerOptions(f, kind: present[0], into: &config)
        try filesOptions(f, into: &config)
        if let v = f["encryption"] {
            if !config.archive { throw error(v, "'\(v.path)' encrypts the archive, but the source has 'archive: false'") }
            config.encryption = try encryption(v)
        }
        return config
    }

    /// `engine:` and `pg_dump:` of a postgres source.
    private func engineOptions(_ f: Fields, into config: inout SourceConfig) throws(ConfigError) {
        if let v = f["engine"] {
            guard case .postgres = config.target else {
                throw error(v, "'\(v.path)' applies to 'postgres' sources only (which program writes the dump)")
            }
            let text = try nonEmpty(v)
            guard let engine = PostgresEngine(rawValue: text) else {
                throw error(v, "'\(v.path)' should be native or pg_dump, not '\(text)'")
            }
            if engine == .pgDump, config.allowIncomplete, let flag = f["allow_incomplete"] {
                throw error(flag, "'\(flag.path)' applies to the native engine only (pg_dump dumps every object)")
            }
            config.engine = engine
        }
        if let v = f["pg_dump"] {
            guard config.engine == .pgDump else {
                throw error(v, "'\(v.path)' needs 'engine: pg_dump' on the same source")
            }
            config.pgDumpPath = try path(v)
        }
    }

    /// `postgres_all:` (every database of the server, and its globals) and its `exclude_database:` patterns.
    private func wholeServerOptions(_ f: Fields, kind: String, into config: inout SourceConfig) throws(ConfigError) {
        guard kind == "postgres_all" else {
            if let v = f["exclude_database"] { throw error(v, "'\(v.path)' applies to 'postgres_all' sources only") }
            return
        }
        if config.engine == .pgDump, let v = f["engine"] {
            throw error(v, "'\(v.path)': a 'postgres_all' source is dumped by the native engine (its globals have no pg_dump form)")
        }
        if let v = f["drill"] {
            throw error(v, "'\(v.path)' applies to single-database sources; a 'postgres_all' source has one artifact per database")
        }
        let patterns = try f["exclude_database"].map { v throws(ConfigError) in try stringList(v) } ?? []
        config.wholeServer = WholeServerSource(excludeDatabases: patterns)
    }

    private func sourceTarget(kind: String, value: YAMLValue) throws(ConfigError) -> SourceConfig.Target {
        switch kind {
        case "postgres", "postgres_all":
            let connection = try nonEmpty(value)
            for password in Redacted.passwords(inConnection: connection) { Redacted.register(secret: password) }
            return .postgres(connection: connection)
        case "sqlite":
            return .sqlite(path: try path(value))
        default:
            var paths: [String] = []
            for raw in try stringList(value) { paths.append(resolve(raw)) }
            return .files(paths: paths)
        }
    }

    private func sourceName(_ value: YAMLValue?, target: SourceConfig.Target) throws(ConfigError) -> String {
        guard let v = value else {
            switch target {
            case .postgres: return ArtifactName.defaultSource(kind: .postgres, path: "")
            case let .sqlite(p): return ArtifactName.defaultSource(kind: .sqlite, path: p)
            case let .files(ps): return ArtifactName.defaultSource(kind: .files, path: ps[0])
            }
        }
        let name = try nonEmpty(v)
        do {
            try ArtifactName.validate(source: name)
        } catch let failure {
            throw error(v, "'\(v.path)': \(failure)")
        }
        return name
    }

    /// `exclude:`, `one_file_system:` and `archive:`, which only `files` sources take.
    private func filesOptions(_ f: Fields, into config: inout SourceConfig) throws(ConfigError) {
        let isFiles: Bool
        if case .files = config.target { isFiles = true } else { isFiles = false }
        for key in ["exclude", "one_file_system", "archive"] {
            if let v = f[key], !isFiles { throw error(v, "'\(v.path)' applies to 'files' sources only") }
        }
        if let v = f["exclude"] {
            let patterns = try stringList(v)
            do {
                config.exclude = try ExcludeRules.parse(patterns)
            } catch let failure {
                throw error(v, "'\(v.path)': \(failure.message)")
            }
        }
        if let v = f["one_file_system"] { config.oneFileSystem = try flag(v) }
        if let v = f["archive"] {
            config.archive = try flag(v)
            // A source that makes nothing would look healthy while copying nothing.
            if !config.archive && config.mirror == nil {
                throw error(v, "'\(v.path)' is false but the source has no 'mirror:'; it would copy nothing (add mirror: oss://BUCKET/PREFIX/ or remove 'archive: false')")
            }
            if !config.archive, let d = f["drill"] {
                throw error(d, "'\(d.path)' needs an archive to restore, but the source has 'archive: false'")
            }
            if !config.archive, let l = f["level"] {
                throw error(l, "'\(l.path)' sets the archive's compression, but the source has 'archive: false'")
            }
        }
    }

    /// `schedule:` — `daily`, `weekly`, `monthly`, a three-field cron day spec, or a one-key mapping
    /// (`weekly: sunday`, `monthly: 1`, `cron: "* * 1-5"`).
    func schedule(_ v: YAMLValue) throws(ConfigError) -> Schedule {
        let kind: String
        let argument: String?
        let at: YAMLValue
        if case let .mapping(mapping) = v.node {
            guard mapping.count == 1, let pair = mapping.first, let key = pair.key.string else {
                throw error(v, "'\(v.path)' should be one of daily, weekly: DAY, monthly: N or cron: \"DOM MON DOW\"")
            }
            kind = key
            at = YAMLValue(node: pair.value, path: v.child(key))
            argument = at.isNull ? nil : try string(at)
        } else {
            kind = try nonEmpty(v)
            argument = nil
            at = v
        }
        do {
            return try Schedule.parse(kind: kind, value: argument)
        } catch let failure {
            throw error(at, "'\(v.path)': \(failure.message)")
        }
    }

    /// `encryption: { recipients: [age1…], recipients_file: PATH, passphrase_file: PATH }`, globally or per source.
    func encryption(_ value: YAMLValue) throws(ConfigError) -> EncryptionConfig {
        let f = try mapping(value, allowed: ["recipients", "recipients_file", "passphrase_file"])
        var config = EncryptionConfig()
        if let v = f["recipients"] {
            config.recipients = try stringList(v).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        config.recipientsFile = try f["recipients_file"].map { v throws(ConfigError) in try path(v) }
        config.passphraseFile = try f["passphrase_file"].map { v throws(ConfigError) in try path(v) }
        if let problem = config.problem { throw error(value, "'\(value.path)' \(problem)") }
        return config
    }

    /// true/yes/on or false/no/off.
    func flag(_ v: YAMLValue) throws(ConfigError) -> Bool {
        let s = try nonEmpty(v).lowercased()
        switch s {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error(v, "'\(v.path)' should be true or false, not '\(s)'")
        }
    }

    /// `drill:`: a scratch database URL for postgres sources (never the source's database), true/false for the others.
    func drill(_ v: YAMLValue, target: SourceConfig.Target) throws(ConfigError) -> DrillTarget? {
        let text = try nonEmpty(v).trimmingCharacters(in: .whitespaces)
        let flag: Bool? = ["true", "yes", "on"].contains(text.lowercased()) ? true
            : ["false", "no", "off"].contains(text.lowercased()) ? false : nil
        guard case let .postgres(connection) = target else {
            guard let flag else { throw error(v, "'\(v.path)' should be true or false (the drill restores into a temporary folder)") }
            return flag ? .temporaryFolder : nil
        }
        if flag == false { return nil }
        guard flag == nil else {
            throw error(v, "'\(v.path)' of a postgres source names the scratch database to restore into (drill: postgres://…/scratch_db), not 'true'")
        }
        for password in Redacted.passwords(inConnection: text) { Redacted.register(secret: password) }
        if let problem = DrillTarget.problem(scratch: text, source: connection) { throw error(v, "'\(v.path)': \(problem)") }
        return .postgres(connection: text)
    }

    /// Why `text` is not an `oss://BUCKET/PREFIX/` mirror target, or nil (bucket names: 3-63 of `a-z 0-9 -`).
    static func mirrorProblem(_ text: String) -> String? {
        guard text.hasPrefix("oss://") else { return "expected oss://BUCKET/PREFIX/, not '\(text)'" }
        let rest = text.dropFirst("oss://".count)
        let bucket = rest.prefix { $0 != "/" }
        let valid = (3...63).contains(bucket.count) && bucket.first != "-" && bucket.last != "-"
            && bucket.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard valid else {
            return "'\(bucket)' is not a valid bucket name (3-63 lower-case letters, digits and '-') in '\(text)'"
        }
        return nil
    }
}
