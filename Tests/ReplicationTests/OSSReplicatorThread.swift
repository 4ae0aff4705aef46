import Foundation
import Replication
import Storage
import TestSupport

/// A replicator of `database` to the emulator's `bucket` (prefix `r`) whose `run` goes on a thread of its own until
/// `stop` says so (it sees the replicator, to sample it between passes); its log lines and `run`'s error are kept.
final class OSSReplicatorThread: Sendable {
    let messages = Locked<[String]>([])
    /// What `run` threw, if it did.
    let failure = Locked<String?>(nil)
    private let thread: TestThread

    init(_ database: URL, bucket: String, dir: TempDir, settings: ReplicationSettings,
         stop: @escaping @Sendable (Replicator) -> Bool) throws {
        let oss = OSSSettings(environment: try OSSEmulator.cliEnvironment())
        let (messages, failure) = (self.messages, self.failure)
        thread = TestThread {
            do {
                let replicator = Replicator(database: database, source: "app", backend: try oss.backend(bucket: bucket, prefix: "r"),
                                            settings: settings, workFolder: dir.url,
                                            log: { message in messages.with { $0.append(message) } })
                try replicator.run { [unowned replicator] in stop(replicator) }
            } catch {
                failure.with { $0 = "\(error)" }
            }
        }
    }

    /// Waits until `run` returned.
    func join() { thread.join() }
}
