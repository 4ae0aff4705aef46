import Foundation

/// An OSS lifecycle rule that moves objects under a prefix to a cheaper storage class after some days (OSS does
/// the move itself, so old backups go to IA or Archive without vaultops running).
public struct TransitionRule: Sendable, Equatable {
    public var id: String
    public var prefix: String
    public var days: Int
    public var storageClass: StorageClass

    /// A rule named after the prefix (`vaultops-transition-nightly`, `vaultops-transition-all` for the whole bucket).
    public init(prefix: String, days: Int, storageClass: StorageClass) throws {
        guard days >= 1 else { throw ObjectStorageError(.invalidConfiguration, "the days before a transition must be at least 1") }
        guard storageClass != .standard else {
            throw ObjectStorageError(.invalidConfiguration, "a transition moves objects to IA, Archive or ColdArchive, not Standard")
        }
        let name = prefix.split(separator: "/").joined(separator: "-")
        id = "vaultops-transition-" + (name.isEmpty ? "all" : name)
        self.prefix = prefix
        self.days = days
        self.storageClass = storageClass
    }

    /// The `<Rule>` element, as the official SDK writes it.
    public var xml: String {
        func escaped(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        return "<Rule><ID>\(escaped(id))</ID><Transition><Days>\(days)</Days><StorageClass>\(storageClass.rawValue)</StorageClass>"
            + "</Transition>\(prefix.isEmpty ? "<Prefix />" : "<Prefix>\(escaped(prefix))</Prefix>")<Status>Enabled</Status></Rule>"
    }

    /// A whole lifecycle configuration of `rules` (each a `<Rule>` element).
    public static func configuration(_ rules: [String]) -> String {
        "<LifecycleConfiguration>" + rules.joined() + "</LifecycleConfiguration>"
    }

    /// The `<Rule>…</Rule>` elements of a lifecycle configuration, as text.
    static func rules(in configuration: String) -> [String] {
        var rules: [String] = []
        var rest = Substring(configuration)
        while let start = rest.range(of: "<Rule>"), let end = rest.range(of: "</Rule>", range: start.upperBound..<rest.endIndex) {
            rules.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return rules
    }
}

/// What applying a transition rule changed.
public struct LifecycleChange: Sendable, Equatable {
    /// A rule with the same ID was there and was replaced (else it was added).
    public var replaced: Bool
    /// Rules the bucket has now, the new one included.
    public var rules: Int
}

extension OSSClient {
    /// GetBucketLifecycle: the bucket's lifecycle configuration XML, or nil when it has none.
    public func bucketLifecycle(bucket: String) throws -> String? {
        do {
            let response = try send("GetBucketLifecycle", OSSRequest(method: "GET", bucket: bucket, query: [QueryItem("lifecycle")]))
            return String(decoding: response.body, as: UTF8.self)
        } catch let error as ObjectStorageError where error.serviceCode == "NoSuchLifecycle" {
            return nil
        }
    }

    /// Adds `rule` to the bucket's lifecycle, replacing a rule with its ID and keeping every other rule (PutBucketLifecycle
    /// replaces the whole configuration, so the others are read first and sent back).
    public func applyTransitionRule(_ rule: TransitionRule, bucket: String) throws -> LifecycleChange {
        let existing = try bucketLifecycle(bucket: bucket).map(TransitionRule.rules(in:)) ?? []
        let others = existing.filter { !$0.contains("<ID>\(rule.id)</ID>") }
        let body = Data(TransitionRule.configuration(others + [rule.xml]).utf8)
        var request = OSSRequest(method: "PUT", bucket: bucket, query: [QueryItem("lifecycle")])
        request.setHeader("Content-Type", "application/xml")
        request.setHeader("Content-MD5", OSSDigest.contentMD5(body))
        _ = try send("PutBucketLifecycle", request, body: .data(body))
        return LifecycleChange(replaced: others.count < existing.count, rules: others.count + 1)
    }
}
