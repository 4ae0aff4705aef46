/// A `/`-separated path relative to a mirrored folder, kept as the exact UTF-8 bytes found on disk or in a key.
///
/// Swift's `String ==` treats NFC `é` and NFD `e◌́` as equal, but they are two different files on Linux and
/// two different OSS keys. Comparing, hashing and sorting bytes keeps both, and sends each under its own key.
public struct MirrorPath: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The path's bytes (valid UTF-8, no leading `/`).
    public let bytes: [UInt8]

    public init(_ string: String) { bytes = Array(string.utf8) }
    public init(bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }

    /// The path as text; round-trips to the same bytes (Swift does not normalize stored strings).
    public var string: String { String(decoding: bytes, as: UTF8.self) }
    public var description: String { string }

    /// `self` followed by `/` and `name`.
    public func appending(_ name: MirrorPath) -> MirrorPath {
        bytes.isEmpty ? name : MirrorPath(bytes: bytes + [0x2F] + name.bytes)
    }

    /// Whether `self` is `other` or lies below it (`other` + `/` …).
    public func isWithin(_ other: MirrorPath) -> Bool {
        if other.bytes.isEmpty { return true }
        guard bytes.count >= other.bytes.count, bytes.starts(with: other.bytes) else { return false }
        return bytes.count == other.bytes.count || bytes[other.bytes.count] == 0x2F
    }

    public static func < (a: MirrorPath, b: MirrorPath) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// How relative paths become OSS keys and back, refusing keys that would escape the target folder.
public enum MirrorKey {
    /// OSS's limit on a key's length in bytes.
    public static let maximumKeyBytes = 1023

    /// `prefix` as a folder: empty, or ending in exactly one `/`, without a leading `/`.
    public static func normalized(prefix: String) -> String {
        var p = Substring(prefix)
        while p.hasPrefix("/") { p = p.dropFirst() }
        if p.isEmpty { return "" }
        return p.hasSuffix("/") ? String(p) : String(p) + "/"
    }

    /// The key for `path` under `prefix` (already normalized), or why there can be none.
    public static func key(prefix: String, path: MirrorPath) -> Result<String, MirrorKeyProblem> {
        let key = prefix + path.string
        guard key.utf8.count <= maximumKeyBytes else { return .failure(.tooLong(bytes: key.utf8.count)) }
        return .success(key)
    }

    /// What a listed key means below `prefix` (already normalized) when it is written into a folder.
    public enum Mapping: Equatable, Sendable {
        /// A file at this relative path.
        case file(MirrorPath)
        /// A zero-byte `name/` object, the "folder" the OSS console creates: nothing to write.
        case directoryMarker
        /// A key that must not become a file (it would escape the folder, or names no file).
        case refused(MirrorKeyProblem)
    }

    /// Maps `key` (listed under `prefix`) to a relative path, refusing `..`, `.`, empty components,
    /// absolute paths and NUL bytes, so nothing is ever written outside the target folder.
    public static func relativePath(key: String, prefix: String, size: Int64) -> Mapping {
        let keyBytes = Array(key.utf8)
        let prefixBytes = Array(prefix.utf8)
        guard keyBytes.starts(with: prefixBytes) else { return .refused(.outsidePrefix) }
        let rest = keyBytes.dropFirst(prefixBytes.count)
        if rest.isEmpty { return size == 0 ? .directoryMarker : .refused(.emptyComponent) }
        if rest.last == 0x2F, size == 0, !rest.dropLast().isEmpty, validate(rest.dropLast()) == nil { return .directoryMarker }
        if let problem = validate(rest) { return .refused(problem) }
        return .file(MirrorPath(bytes: rest))
    }

    /// Why `bytes` is not a safe relative path, or nil.
    static func validate(_ bytes: ArraySlice<UInt8>) -> MirrorKeyProblem? {
        if bytes.first == 0x2F { return .absolute }
        if bytes.contains(0) { return .nulByte }
        for component in bytes.split(separator: 0x2F, omittingEmptySubsequences: false) {
            if component.isEmpty { return .emptyComponent }
            if component.elementsEqual([0x2E, 0x2E]) { return .dotDot }
            if component.elementsEqual([0x2E]) { return .dot }
        }
        return nil
    }
}

/// Why a key cannot map to a file, or a file to a key.
public enum MirrorKeyProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case dotDot, dot, absolute, emptyComponent, nulByte, outsidePrefix
    case tooLong(bytes: Int)

    public var description: String {
        switch self {
        case .dotDot: "has a '..' component that would escape the folder"
        case .dot: "has a '.' component"
        case .absolute: "is an absolute path"
        case .emptyComponent: "has an empty path component ('//' or a trailing '/')"
        case .nulByte: "contains a NUL byte"
        case .outsidePrefix: "is not under the prefix"
        case let .tooLong(bytes): "would be a key of \(bytes) bytes; OSS allows at most \(MirrorKey.maximumKeyBytes)"
        }
    }
}
