import Age
import Archive
import Crypto
import Foundation
import TestSupport

/// A sink that keeps everything in memory (tests only).
final class MemorySink: ByteSink {
    var bytes: [UInt8] = []
    func write(_ buffer: UnsafeRawBufferPointer) throws { bytes += buffer }
}

/// A source over bytes in memory that hands out at most `step` bytes a call, to exercise chunk boundaries.
final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0
    private let step: Int
    init(_ bytes: [UInt8], step: Int = .max) { self.bytes = bytes; self.step = step }
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - offset, step)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        offset += n
        return n
    }
}

/// Encrypts `plaintext` to `recipients` in memory, writing it in pieces of `step` bytes.
func encrypt(_ plaintext: [UInt8], to recipients: [any AgeRecipient], step: Int = 10_000) throws -> [UInt8] {
    let sink = MemorySink()
    let writer = try AgeWriter(recipients: recipients, output: sink)
    var offset = 0
    while offset < plaintext.count {
        let end = min(offset + step, plaintext.count)
        try writer.write(Array(plaintext[offset..<end]))
        offset = end
    }
    try writer.finish()
    return sink.bytes
}

/// Decrypts `file` with `identities`, returning what was released before any error, and the error.
func decrypt(_ file: [UInt8], with identities: [any AgeIdentity], step: Int = .max) -> (released: [UInt8], error: Error?) {
    var released: [UInt8] = []
    do {
        let reader = try AgeReader(source: MemorySource(file, step: step), identities: identities)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 50_000, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = try reader.read(into: buffer)
            if n == 0 { break }
            released += buffer[..<n]
        }
        return (released, nil)
    } catch {
        return (released, error)
    }
}

/// Deterministic pseudo-random bytes (a SHA-256 counter stream), so failures reproduce.
func patternBytes(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(count + 32)
    var counter: UInt64 = 0
    while out.count < count {
        out += SHA256.hash(data: [seed] + withUnsafeBytes(of: counter) { Array($0) })
        counter += 1
    }
    return Array(out.prefix(count))
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

/// The class of an error as the age test suite names them.
func expectation(of error: Error?) -> String {
    guard let error else { return "success" }
    switch error as? AgeError {
    case .badHeader?, .unsupportedVersion?, .workFactorTooHigh?: return "header failure"
    case .noMatchingIdentity?: return "no match"
    case .headerMACMismatch?: return "HMAC failure"
    case .tamperedChunk?, .truncated?, .emptyFinalChunk?, .trailingData?: return "payload failure"
    default: return "unexpected error \(error)"
    }
}
