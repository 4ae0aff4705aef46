/// Why an age file could not be written or read, or why a key did not parse.
///
/// Decryption errors fall in the classes of the age test suite: the header does not parse (`badHeader`,
/// `unsupportedVersion`), no identity opens a stanza (`noMatchingIdentity`), the header MAC does not match
/// (`headerMACMismatch`), or the payload fails (`tamperedChunk`, `truncated`, `emptyFinalChunk`,
/// `trailingData`). Messages never contain a secret key or a passphrase.
public enum AgeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The header breaks the format: a line, a stanza, its base64 or its arguments.
    case badHeader(String)
    /// The file is an age file of a version this implementation does not read.
    case unsupportedVersion(String)
    /// None of the identities given opens any recipient stanza: wrong key or wrong passphrase.
    case noMatchingIdentity
    /// A file key was unwrapped but the header MAC does not match: the header was changed or swapped.
    case headerMACMismatch
    /// Payload chunk `index` (from 0) failed authentication: the file was changed or cut inside that chunk.
    case tamperedChunk(index: UInt64)
    /// The payload ends before its final chunk: the file was cut.
    case truncated(String)
    /// The final chunk is empty although the payload is not.
    case emptyFinalChunk
    /// Bytes follow the final chunk.
    case trailingData
    /// A recipient string or recipients-file line is not a recipient this implementation knows.
    case invalidRecipient(String)
    /// An identity or identity-file line does not parse (the secret itself is never quoted).
    case invalidIdentity(String)
    /// An scrypt stanza asks for more work than the caller allows.
    case workFactorTooHigh(Int, maximum: Int)
    /// The API was used out of order (write after finish, a passphrase recipient beside others).
    case misuse(String)

    public var description: String {
        switch self {
        case .badHeader(let why): return "age: bad header: \(why)"
        case .unsupportedVersion(let line): return "age: unsupported format version \(line)"
        case .noMatchingIdentity: return "age: no identity matches any recipient of the file (wrong key or passphrase)"
        case .headerMACMismatch: return "age: header MAC mismatch: the header was modified or belongs to another file"
        case .tamperedChunk(let index): return "age: payload chunk \(index) failed authentication (tampered or cut)"
        case .truncated(let why): return "age: file is truncated: \(why)"
        case .emptyFinalChunk: return "age: the final payload chunk is empty but the payload is not"
        case .trailingData: return "age: data after the final payload chunk"
        case .invalidRecipient(let why): return "age: invalid recipient: \(why)"
        case .invalidIdentity(let why): return "age: invalid identity: \(why)"
        case .workFactorTooHigh(let factor, let maximum):
            return "age: scrypt work factor \(factor) is above the allowed maximum \(maximum)"
        case .misuse(let why): return "age: \(why)"
        }
    }
}
