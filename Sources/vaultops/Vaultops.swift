import ArgumentParser
import Foundation
import VaultopsCore

/// The vaultops command line: backups, restores, retention, migration, OSS and deploys.
@main
struct Vaultops: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vaultops",
        abstract: "Keep a small team's data safe: backups, restores, retention, OSS, deploys.",
        version: VersionReport.text,
        subcommands: [
            Backup.self,
            Verify.self,
            Restore.self,
            Replicate.self,
            Backups.self,
            Prune.self,
            Run.self,
            Status.self,
            Migrate.self,
            Upload.self,
            Lifecycle.self,
            Keygen.self,
            Download.self,
            Ls.self,
            Rm.self,
            Presign.self,
            DeployCommand.self,
            Rollback.self,
            Releases.self,
        ]
    )

    /// Runs the command and maps every outcome to the exit codes of SPEC.md, in this one place.
    static func main() {
        VaultopsLogging.bootstrap()
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                print(message)
                Foundation.exit(0)
            }
            printError(message)
            Foundation.exit(VaultopsExitCode.usage.rawValue)
        }
        do {
            var command = command
            try command.run()
            Foundation.exit(0)
        } catch let error as CommandExit {
            Foundation.exit(error.code.rawValue)
        } catch let error as ValidationError {
            printError("error: \(error.message)\n" + helpMessage(for: type(of: command)))
            Foundation.exit(VaultopsExitCode.usage.rawValue)
        } catch {
            // `vaultops SUBCOMMAND --help` (and `vaultops help X`) parse to ArgumentParser's help command, whose
            // run() throws the help text as a "successful" error.
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            printError("vaultops: error: \(Redacted.text(String(describing: error)))")
            Foundation.exit(VaultopsCore.exitCode(for: error).rawValue)
        }
    }
}

/// Ends a command with a given exit code after it has printed what happened.
struct CommandExit: Error {
    let code: VaultopsExitCode
}

/// Writes a line to standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message.hasSuffix("\n") ? message : message + "\n").utf8))
}
