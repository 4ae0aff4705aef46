import Foundation

/// One query parameter; an empty value is sent and signed as the bare name (`?uploads`).
public struct QueryItem: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String = "") {
        self.name = name
        self.value = value
    }
}

/// An HTTP request to OSS before it is signed: what both signers and the transport look at.
///
/// The bucket and key are kept apart from the URL because both signature versions sign them in
/// their raw form (`/bucket/key`), whatever addressing style carries them on the wire.
public struct OSSRequest: Sendable {
    /// The HTTP method, upper case.
    public var method: String
    /// The bucket, or nil for service-level requests.
    public var bucket: String?
    /// The object key (UTF-8, unescaped), or nil for bucket-level requests.
    public var key: String?
    /// Query parameters in the order they go on the wire.
    public var query: [QueryItem]
    /// Headers in the order they were set; names compare case-insensitively.
    public var headers: [(name: String, value: String)]

    public init(method: String, bucket: String? = nil, key: String? = nil, query: [QueryItem] = [],
                headers: [(name: String, value: String)] = []) {
        self.method = method
        self.bucket = bucket
        self.key = key
        self.query = query
        self.headers = headers
    }

    /// The value of the header `name` (case-insensitive), if set.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// Sets (replacing any case variant of) the header `name`.
    public mutating func setHeader(_ name: String, _ value: String) {
        let lower = name.lowercased()
        if let index = headers.firstIndex(where: { $0.name.lowercased() == lower }) {
            headers[index] = (name, value)
        } else {
            headers.append((name, value))
        }
    }

    /// Removes the header `name` (case-insensitive).
    public mutating func removeHeader(_ name: String) {
        let lower = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lower }
    }

    /// The query string as it goes on the wire (`a=1&uploads`), names and values percent-encoded.
    public var encodedQuery: String {
        query.map { item in
            let name = OSSPercentEncoding.encode(item.name, keepSlash: false)
            return item.value.isEmpty ? name : name + "=" + OSSPercentEncoding.encode(item.value, keepSlash: false)
        }.joined(separator: "&")
    }
}

/// The RFC 3986 percent-encoding that OSS signatures and URLs use.
public enum OSSPercentEncoding {
    /// Encodes every byte except the unreserved set (`A-Z a-z 0-9 - _ . ~`) and, when asked, `/`.
    public static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                 UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out.append("%")
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return out
    }

    /// Decodes `%XX` escapes (and, when `plusIsSpace`, `+` as a space); nil when the result is not UTF-8.
    public static func decode(_ text: String, plusIsSpace: Bool = false) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let h = hexValue(high), let l = hexValue(low) else { return nil }
                bytes.append(h << 4 | l)
            } else if plusIsSpace && byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static let hexDigits: [Character] = Array("0123456789ABCDEF")

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
