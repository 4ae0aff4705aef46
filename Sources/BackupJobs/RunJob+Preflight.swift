import Artifacts
import Foundation
import VaultopsCore
#if canImport(Glibc)
import Glibc
#endif

extension RunJob {
    /// What `run --dry-run` can find wrong with `source` without writing anything, or nil: a missing or
    /// unreadable SQLite file or folder, a PostgreSQL server that refuses the connection (a wrong password).
    static func preflight(_ source: SourceConfig) -> String? {
        source.kind.handler.sourceProblem(source)
    }

    /// Why the recipients of `encryption` cannot be read (a bad recipient, a missing recipients or passphrase file), or nil.
    static func encryptionProblem(_ encryption: EncryptionConfig?) -> String? {
        guard let encryption else { return nil }
        do {
            _ = try EncryptionRecipients.resolve(encryption)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Run-wide checks of a dry run: the backup folder can be written, the webhook is a URL vaultops can post to.
    static func preflightRun(_ config: Config, directory: URL) -> [String] {
        var problems: [String] = []
        var isFolder: ObjCBool = false
        if !FileManager.default.fileExists(atPath: directory.path, isDirectory: &isFolder) {
            // Backups create it; its parent must allow that.
            let parent = directory.deletingLastPathComponent().path
            if !FileManager.default.fileExists(atPath: parent) {
                problems.append("backup_dir \(directory.path) does not exist, and neither does its parent \(parent) (is a disk not mounted?)")
            } else if access(parent, W_OK) != 0 {
                problems.append("backup_dir \(directory.path) does not exist and cannot be created in \(parent)")
            }
        } else if !isFolder.boolValue {
            problems.append("backup_dir \(directory.path) is not a folder")
        } else if access(directory.path, W_OK) != 0 {
            problems.append("backup_dir \(directory.path) is not writable")
        }
        if let notify = config.notify, let problem = webhookProblem(notify.webhook.value) {
            // Never the URL itself: its token is a secret.
            problems.append("notify.webhook \(problem)")
        }
        return problems
    }

    /// Why `url` cannot be posted to, or nil; the text never repeats the URL.
    static func webhookProblem(_ url: String) -> String? {
        guard let components = URLComponents(string: url.trimmingCharacters(in: .whitespaces)) else {
            return "is not a valid URL"
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            return "must start with http:// or https://"
        }
        guard let host = components.host, !host.isEmpty else { return "has no host" }
        return nil
    }
}
