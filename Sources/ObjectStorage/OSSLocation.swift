/// A parsed `oss://BUCKET/KEY` location.
public struct OSSLocation: Sendable, Equatable, CustomStringConvertible {
    public var bucket: String
    /// The key or prefix; empty for the whole bucket.
    public var key: String

    public init(bucket: String, key: String) {
        self.bucket = bucket
        self.key = key
    }

    /// Parses `oss://bucket[/key]`, checking the bucket name against OSS's naming rules.
    ///
    /// Throws `.invalidURL` with what is wrong and an example of the right form.
    public init(parsing text: String) throws {
        let scheme = "oss://"
        guard text.lowercased().hasPrefix(scheme) else {
            throw ObjectStorageError(.invalidURL, "'\(text)' is not an OSS location: expected oss://BUCKET/KEY")
        }
        let rest = text.dropFirst(scheme.count)
        let bucket: Substring
        let key: Substring
        if let slash = rest.firstIndex(of: "/") {
            bucket = rest[..<slash]
            key = rest[rest.index(after: slash)...]
        } else {
            bucket = rest
            key = ""
        }
        if let problem = OSSLocation.bucketNameProblem(String(bucket)) {
            throw ObjectStorageError(.invalidURL, "'\(text)': \(problem)")
        }
        if key.utf8.count > 1023 {
            throw ObjectStorageError(.invalidURL, "'\(text)': an object key is at most 1023 bytes")
        }
        self.bucket = String(bucket)
        self.key = String(key)
    }

    /// Why `name` is not a valid bucket name, or nil: 3-63 characters of `a-z 0-9 -`, not starting or ending with `-`.
    public static func bucketNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "the bucket name is missing (oss://BUCKET/KEY)" }
        guard (3...63).contains(name.count) else { return "bucket name '\(name)' must be 3 to 63 characters long" }
        let allowed = name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard allowed else { return "bucket name '\(name)' may only contain lower-case letters, digits and '-'" }
        guard name.first != "-", name.last != "-" else { return "bucket name '\(name)' must not start or end with '-'" }
        return nil
    }

    public var description: String { "oss://\(bucket)/\(key)" }
}
