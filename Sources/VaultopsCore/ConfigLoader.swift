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
        lookup(explicit: explicit, environment: environment, currentDirectory: currentDirectory).url
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
        return try parse(yaml: text, file: file, baseDirectory: url.deletingLastPathComponent(),
                         environment: environment, dotEnv: try dotEnv(besideConfig: url, environment: environment))
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
