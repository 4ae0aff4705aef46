import Foundation
import Replication
import VaultopsCore

extension Restore {
    /// `restore SOURCE --at "YYYY-MM-DD HH:MM:SS"` or `restore SOURCE --replica --latest`: from the source's replica.
    func restoreReplica() throws {
        guard let loaded = try config.load() else {
            throw ReplicationError(.noRestorePoint, "a replica restore needs the config that names the source and its destination")
        }
        let point: ReplicaRestorePoint
        if let txid {
            guard let parsed = ReplicaRestorePoint.transaction(parsing: txid) else {
                throw ReplicationError(.noRestorePoint, "--txid \(txid): expected N or GENERATION:N (a whole number)")
            }
            point = parsed
        } else if let at {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = loaded.effectiveTimeZone
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            guard let date = formatter.date(from: at) else {
                throw ReplicationError(.noRestorePoint, "--at \(at): expected \"YYYY-MM-DD HH:MM:SS\"")
            }
            point = .time(date)
        } else {
            point = .latest
        }
        let target = to.map { URL(fileURLWithPath: $0) }
        // As for artifacts: a target taken from the config is only replaced when the user says so.
        if !yes {
            guard isatty(STDIN_FILENO) == 1 else {
                throw ReplicationError(.noRestorePoint, "restore \(artifact) replaces the source's database: add --yes (or run it on a terminal)")
            }
            FileHandle.standardError.write(Data("Replace \(to ?? artifact + "'s database") with its replica at \(txid.map { "txid " + $0 } ?? at ?? "the latest commit")? [y/N] ".utf8))
            let answer = (readLine() ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            guard answer == "y" || answer == "yes" else { return }
        }
        let destination = try ReplicationService.destination(config: loaded, settings: OSSCommand.settings(config: loaded))
        let (result, outcome) = try ReplicationService.restore(source: artifact, point: point, target: target, config: loaded,
                                                               destination: destination)
        print("restored \(outcome.installed.path) from generation \(result.generation): \(result.segmentsApplied) segments, "
              + "\(result.commitsApplied) commits (txid \(result.generation):\(result.commitsApplied)), up to \(result.restoredTo)")
        if let previous = outcome.previousCopy { print("kept the old file as \(previous.path)") }
    }
}
