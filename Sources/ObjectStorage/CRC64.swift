import Crypto
import Foundation

/// CRC-64/ECMA-182 as OSS computes it (`x-oss-hash-crc64ecma`): reflected, init and xor-out all ones.
///
/// This is the variant catalogued as CRC-64/XZ; `"123456789"` gives 11051210869376104954.
public struct CRC64: Sendable, Equatable {
    /// The checksum of everything fed so far.
    public private(set) var value: UInt64

    /// Starts a checksum, optionally continuing from an earlier `value`.
    public init(_ value: UInt64 = 0) { self.value = value }

    /// Feeds `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        value = CRC64.update(value, bytes)
    }

    /// Feeds `data`.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// The CRC-64 of `data`.
    public static func checksum(_ data: Data) -> UInt64 {
        var crc = CRC64()
        crc.update(data)
        return crc.value
    }

    private static let polynomial: UInt64 = 0xC96C_5795_D787_0F42

    // Slicing-by-8 table (eight 256-entry rows, flat): eight bytes per step keeps a 200 MB file's
    // checksum fast even in debug builds.
    private static let table: [UInt64] = {
        var t = [UInt64](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var crc = UInt64(i)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            t[i] = crc
        }
        for k in 1..<8 {
            for i in 0..<256 { t[k * 256 + i] = (t[(k - 1) * 256 + i] >> 8) ^ t[Int(t[(k - 1) * 256 + i] & 0xFF)] }
        }
        return t
    }()

    static func update(_ start: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let count = bytes.count
        guard count > 0, let base = bytes.baseAddress else { return start }
        return table.withUnsafeBufferPointer { t -> UInt64 in
            var crc = ~start
            var i = 0
            while i + 8 <= count {
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ crc
                crc = t[7 * 256 + Int(word & 0xFF)] ^ t[6 * 256 + Int((word >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((word >> 16) & 0xFF)] ^ t[4 * 256 + Int((word >> 24) & 0xFF)]
                    ^ t[3 * 256 + Int((word >> 32) & 0xFF)] ^ t[2 * 256 + Int((word >> 40) & 0xFF)]
                    ^ t[256 + Int((word >> 48) & 0xFF)] ^ t[Int(word >> 56)]
                i += 8
            }
            while i < count {
                crc = t[Int((crc ^ UInt64(base.load(fromByteOffset: i, as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                i += 1
            }
            return ~crc
        }
    }

    /// The CRC-64 of A followed by B, from `crc(A)`, `crc(B)` and B's length (zlib's crc32_combine, in GF(2)).
    ///
    /// Lets parallel parts be checksummed independently and still give the whole object's value.
    public static func combine(_ crc1: UInt64, _ crc2: UInt64, length2: Int64) -> UInt64 {
        guard length2 > 0 else { return crc1 }
        var even = [UInt64](repeating: 0, count: 64)
        var odd = [UInt64](repeating: 0, count: 64)
        odd[0] = polynomial
        var row: UInt64 = 1
        for n in 1..<64 { odd[n] = row; row <<= 1 }
        gf2Square(&even, odd)
        gf2Square(&odd, even)
        var crc1 = crc1
        var len = length2
        repeat {
            gf2Square(&even, odd)
            if len & 1 == 1 { crc1 = gf2Times(even, crc1) }
            len >>= 1
            if len == 0 { break }
            gf2Square(&odd, even)
            if len & 1 == 1 { crc1 = gf2Times(odd, crc1) }
            len >>= 1
        } while len != 0
        return crc1 ^ crc2
    }

    private static func gf2Times(_ matrix: [UInt64], _ vector: UInt64) -> UInt64 {
        var sum: UInt64 = 0
        var vec = vector
        var i = 0
        while vec != 0 {
            if vec & 1 == 1 { sum ^= matrix[i] }
            vec >>= 1
            i += 1
        }
        return sum
    }

    private static func gf2Square(_ square: inout [UInt64], _ matrix: [UInt64]) {
        for n in 0..<64 { square[n] = gf2Times(matrix, matrix[n]) }
    }
}

/// Content-MD5 and other digests in the forms OSS headers use.
public enum OSSDigest {
    /// Base64 of the MD5 of `data` (the `Content-MD5` header).
    public static func contentMD5(_ data: Data) -> String {
        Data(Insecure.MD5.hash(data: data)).base64EncodedString()
    }

    /// Hex MD5 of `data` (what OSS returns as a part's ETag, quoted and upper case).
    public static func md5Hex(_ data: Data) -> String {
        SignerV4.hex(Insecure.MD5.hash(data: data))
    }
}
