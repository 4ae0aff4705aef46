/// Bech32 (BIP 173) as age uses it: no length limit, all-lowercase or all-uppercase, checksum over lowercase.
///
/// Only an encoding: the keys inside are checked by the recipient and identity types.
enum Bech32 {
    private static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, char) in charset.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()

    /// Encodes `data` with human-readable part `hrp`; the result is uppercase when `hrp` is.
    static func encode(hrp: String, data: [UInt8]) -> String {
        let lowerHRP = hrp.lowercased()
        let values = convertBits(data, from: 8, to: 5, pad: true)!
        let checksum = createChecksum(hrp: Array(lowerHRP.utf8), values: values)
        var out = Array(lowerHRP.utf8) + [UInt8(ascii: "1")]
        out += (values + checksum).map { charset[Int($0)] }
        let text = String(decoding: out, as: UTF8.self)
        return hrp == lowerHRP ? text : text.uppercased()
    }

    /// Decodes `text` into its human-readable part (as written) and its bytes; nil when it is not valid Bech32.
    static func decode(_ text: String) -> (hrp: String, data: [UInt8])? {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ $0 >= 33 && $0 <= 126 }) else { return nil }
        let lower = text.lowercased(), upper = text.uppercased()
        guard text == lower || text == upper else { return nil }
        let lowered = Array(lower.utf8)
        guard let separator = lowered.lastIndex(of: UInt8(ascii: "1")), separator >= 1,
              separator + 7 <= lowered.count else { return nil }
        var values: [UInt8] = []
        values.reserveCapacity(lowered.count - separator - 1)
        for char in lowered[(separator + 1)...] {
            guard char < 128, reverse[Int(char)] >= 0 else { return nil }
            values.append(UInt8(reverse[Int(char)]))
        }
        let hrp = Array(lowered[..<separator])
        guard polymod(hrpExpand(hrp) + values) == 1 else { return nil }
        guard let data = convertBits(Array(values.dropLast(6)), from: 5, to: 8, pad: false) else { return nil }
        return (String(decoding: bytes[..<separator], as: UTF8.self), data)
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var chk: UInt32 = 1
        for value in values {
            let top = chk >> 25
            chk = (chk & 0x1ff_ffff) << 5 ^ UInt32(value)
            for i in 0..<5 where (top >> UInt32(i)) & 1 == 1 { chk ^= generator[i] }
        }
        return chk
    }

    private static func hrpExpand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func createChecksum(hrp: [UInt8], values: [UInt8]) -> [UInt8] {
        let mod = polymod(hrpExpand(hrp) + values + [0, 0, 0, 0, 0, 0]) ^ 1
        return (0..<6).map { UInt8((mod >> UInt32(5 * (5 - $0))) & 31) }
    }

    /// Regroups bits; without padding, leftover bits must be fewer than `from` and all zero (BIP 173).
    private static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var acc: UInt32 = 0, bits = 0
        let maxValue: UInt32 = (1 << UInt32(to)) - 1
        var out: [UInt8] = []
        out.reserveCapacity(data.count * from / to + 1)
        for value in data {
            acc = acc << UInt32(from) | UInt32(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((acc >> UInt32(bits)) & maxValue))
            }
        }
        if pad {
            if bits > 0 { out.append(UInt8((acc << UInt32(to - bits)) & maxValue)) }
        } else if bits >= from || (acc << UInt32(to - bits)) & maxValue != 0 {
            return nil
        }
        return out
    }
}
