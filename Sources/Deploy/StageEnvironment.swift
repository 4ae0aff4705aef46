import Foundation
import VaultopsCore

/// What a deploy command gets on top of the process's own environment: vaultops's variables (`VERSION`, …)
/// and the config's `deploy.env:`, resolved when the command runs.
///
/// The `.env`'s other keys are not exported: docker compose lets the environment win over its own `.env`, so an
/// exported copy from the start of the deploy would hide what a stage writes into `.env` (a new image tag).
struct StageEnvironment {
    let entries: [DeployVariable]
    let processEnvironment: [String: String]
    /// The `.env` beside the config, read again whenever an entry needs it.
    let dotEnvFile: URL

    init(config: Config, processEnvironment: [String: String]) {
        entries = config.deploy?.env ?? []
        self.processEnvironment = processEnvironment
        dotEnvFile = URL(fileURLWithPath: config.file).deletingLastPathComponent().appendingPathComponent(".env")
    }

    /// `vaultops` plus every `env:` entry, looked up now: vaultops's variables, then the process environment, then
    /// the `.env` as it is at this moment. An entry naming an unset variable is left out.
    ///
    /// - Throws: `DeployError.configuration` naming the `.env` or the entry that cannot be resolved.
    func variables(_ vaultops: [String: String]) throws(DeployError) -> [String: String] {
        guard !entries.isEmpty else { return vaultops }
        var dotEnv: [String: String]?
        var out = vaultops
        for entry in entries {
            if dotEnv == nil, entry.template != nil || processEnvironment[entry.name] == nil { dotEnv = try readDotEnv() }
            let lookup = { (name: String) -> String? in vaultops[name] ?? self.processEnvironment[name] ?? dotEnv?[name] }
            guard let template = entry.template else {
                if let value = lookup(entry.name) { out[entry.name] = value }
                continue
            }
            do throws(ConfigLoader.SubstitutionError) {
                out[entry.name] = try ConfigLoader.substitute(template, lookup: lookup)
            } catch {
                let why = switch error {
                case let .unset(name): "variable '\(name)' is not set (environment or .env)"
                case let .required(name, message): "variable '\(name)': \(message)"
                case let .syntax(detail): detail
                }
                throw DeployError(.configuration, "deploy.env.\(entry.name): cannot fill in '\(template)': \(why)")
            }
        }
        // Commands may print what they were given (`set -x`, a failing client's message).
        for (name, value) in out where CommandRunner.looksSecret(name: name) && value.count >= 6 {
            Redacted.register(secret: value)
        }
        return out
    }

    private func readDotEnv() throws(DeployError) -> [String: String] {
        guard FileManager.default.fileExists(atPath: dotEnvFile.path) else { return [:] }
        guard let data = try? Data(contentsOf: dotEnvFile) else {
            throw DeployError(.configuration, "cannot read the .env beside the config", file: dotEnvFile.path)
        }
        do {
            return try ConfigLoader.parseDotEnv(String(decoding: data, as: UTF8.self), file: dotEnvFile.path)
        } catch {
            throw DeployError(.configuration, "the .env beside the config, as a stage left it: \(error)", file: dotEnvFile.path)
        }
    }
}

extension HealthCheck {
    /// The gate with vaultops's `${VERSION}`, `${RELEASE}`, … in its URL and `expect:` text filled in from `variables`.
    func expanded(_ variables: [String: String]) -> HealthCheck {
        func fill(_ text: String) -> String {
            DeployConfig.vaultopsVariables.reduce(text) { text, name in
                text.replacingOccurrences(of: "${\(name)}", with: variables[name] ?? "")
            }
        }
        var check = self
        if case let .http(url) = probe { check.probe = .http(url: fill(url)) }
        check.expect = expect.map(fill)
        return check
    }
}
