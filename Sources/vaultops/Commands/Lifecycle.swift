import ArgumentParser
import Foundation
import ObjectStorage
import Storage

/// `vaultops lifecycle oss://BUCKET/PREFIX/ --after-days N --storage-class Archive [--apply]`: the OSS lifecycle rule
/// that moves old backups to a cheaper class, printed or applied.
struct Lifecycle: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print or apply an OSS lifecycle rule moving objects older than N days to IA, Archive or ColdArchive.",
        discussion: """
            OSS moves the objects itself, so nothing needs to run. Without --apply the lifecycle configuration is \
            printed (XML, as PutBucketLifecycle takes it). With --apply the rule is added to the bucket's lifecycle, \
            replacing an earlier vaultops rule for the same prefix and keeping every other rule. Archive and \
            ColdArchive objects must be restored before they can be read (download and restore do it; see --wait).
            """)

    @Argument(help: "The objects to move: oss://BUCKET/PREFIX/ (or oss://BUCKET for the whole bucket).")
    var location: String

    @Option(name: .customLong("after-days"), help: "Move objects this many days after they were written.")
    var afterDays: Int

    @Option(name: .customLong("storage-class"), help: "IA, Archive or ColdArchive.")
    var storageClass: String

    @Flag(help: "Apply the rule to the bucket (PutBucketLifecycle) instead of printing it.")
    var apply = false

    @OptionGroup var config: ConfigOption

    mutating func run() throws {
        let where_ = try OSSLocation(parsing: location)
        guard let target = StorageClass(parsing: storageClass) else {
            throw ValidationError("--storage-class must be IA, Archive or ColdArchive, not '\(storageClass)'")
        }
        let rule = try TransitionRule(prefix: where_.key, days: afterDays, storageClass: target)
        guard apply else {
            print(TransitionRule.configuration([rule.xml]))
            return
        }
        let client = try config.settings().bucketBackend(where_).client
        let change = try client.applyTransitionRule(rule, bucket: where_.bucket)
        print("\(change.replaced ? "replaced" : "added") lifecycle rule \(rule.id) on oss://\(where_.bucket): objects under "
              + "'\(where_.key)' move to \(target.rawValue) \(afterDays) days after they are written (\(change.rules) rule(s) in all)")
    }
}
