import Foundation

/// Where a command's config comes from, when the config is optional (restore, backups and the OSS commands).
public struct ConfigLookup: Sendable, Equatable {
    /// How the file was found, which decides what a missing file means.
    public enum Origin: Sendable, Equatable {
        /// `--config FILE`: it must exist.
        case option
        /// `$VAULTOPS_CONFIG`: it must exist.
        case environment
        /// `./vaultops.yml`, found in the current folder.
        case currentFolder
        /// `ConfigLoader.defaultPath`: used when it exists, silently skipped when it does not.
        case defaultPath
    }

    public var url: URL
    public var origin: Origin

    /// The user named the file (option or environment), so a missing or unreadable one is an error.
    public var isExplicit: Bool { origin == .option || origin == .environment }
}

extension ConfigLoader {
    /// The config file to use: `explicit` (`--config`), else `$VAULTOPS_CONFIG`, else `./vaultops.yml` when it exists,
    /// else `defaultPath`; pure apart from `fileExists`.
    public static func lookup(explicit: String?, environment: [String: String], currentDirectory: String,
                              defaultPath: String = ConfigLoader.defaultPath,
                              fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) -> ConfigLookup {
        if let explicit, !explicit.isEmpty { return ConfigLookup(url: URL(fileURLWithPath: explicit), origin: .option) }
        if let env = environment["VAULTOPS_CONFIG"], !env.isEmpty {
            return ConfigLookup(url: URL(fileURLWithPath: env), origin: .environment)
        }
        let local = URL(fileURLWithPath: currentDirectory).appendingPathComponent("vaultops.yml")
        if fileExists(local.path) { return ConfigLookup(url: local, origin: .currentFolder) }
        return ConfigLookup(url: URL(fileURLWithPath: defaultPath), origin: .defaultPath)
    }

    /// The config a command that can work without one uses: the file `lookup` finds, with the `.env` beside it.
    ///
    /// Nil when none was named and the default file does not exist. A file named by `--config` or
    /// `$VAULTOPS_CONFIG` that is missing is an error, and so is any config that exists but is invalid. The
    /// default file existing but unreadable (mode 0600 root's, for a user running `vaultops ls`) is passed over
    /// with a note through `note`, so commands that only need the environment still work.
    public static func loadOptional(explicit: String?,
                                    environment: [String: String] = ProcessInfo.processInfo.environment,
                                    currentDirectory: String = FileManager.default.currentDirectoryPath,
                                    defaultPath: String = ConfigLoader.defaultPath,
                                    note: (String) -> Void = { _ in }) throws(ConfigError) -> Config? {
        let found = lookup(explicit: explicit, environment: environment, currentDirectory: currentDirectory,
                           defaultPath: defaultPath)
        if !found.isExplicit {
            guard FileManager.default.fileExists(atPath: found.url.path) else { return nil }
            guard FileManager.default.isReadableFile(atPath: found.url.path) else {
                note("vaultops: note: not reading \(found.url.path) (permission denied); pass --config FILE or run as its owner")
                return nil
            }
        }
        return try load(from: found.url, environment: environment)
    }
}
