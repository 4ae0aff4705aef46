import Foundation
import ObjectStorage
import Testing

@Suite("CRC-64 and Content-MD5")
struct ChecksumTests {
    @Test(arguments: [
        ("123456789", UInt64(11_051_210_869_376_104_954)),
        ("", UInt64(0)),
        ("a", UInt64(0x330284772E652B05)),
        ("The quick brown fox jumps over the lazy dog", UInt64(0x5B5EB8C2E54AA1C4)),
    ])
    func knownValues(_ text: String, _ expected: UInt64) {
        #expect(CRC64.checksum(Data(text.utf8)) == expected)
    }

    @Test func matchesOss2Crc64() throws {
        // oss2's own Crc64 is what the SDK compares with x-oss-hash-crc64ecma; compare on an odd length.
        var rng = SystemRandomNumberGenerator()
        let data = Data((0..<100_003).map { _ in UInt8.random(in: 0...255, using: &rng) })
        let dir = try TempDirectory()
        let file = dir.url.appendingPathComponent("blob")
        try data.write(to: file)
        let script = "import sys, oss2.utils; c = oss2.utils.Crc64(); c.update(open(sys.argv[1], 'rb').read()); print(c.crc)"
        let out = try runCommand("python3", ["-c", script, file.path])
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == String(CRC64.checksum(data)))
    }

    @Test(arguments: [0, 1, 7, 8, 9, 4096, 100_000])
    func combineEqualsWhole(_ split: Int) {
        let data = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let a = data.prefix(split), b = data.suffix(from: split)
        let combined = CRC64.combine(CRC64.checksum(Data(a)), CRC64.checksum(Data(b)), length2: Int64(b.count))
        #expect(combined == CRC64.checksum(data))
    }

    @Test func incrementalEqualsWhole() {
        let data = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 13) })
        var crc = CRC64()
        for chunk in stride(from: 0, to: data.count, by: 333) {
            crc.update(data.subdata(in: chunk..<min(chunk + 333, data.count)))
        }
        #expect(crc.value == CRC64.checksum(data))
    }

    @Test(arguments: [
        ("", "1B2M2Y8AsgTpgAmY7PhCfg==", "d41d8cd98f00b204e9800998ecf8427e"),
        ("0123456789", "eB5eJF1ptWaXm4bijSPyxw==", "781e5e245d69b566979b86e28d23f2c7"),
    ])
    func contentMD5(_ text: String, _ base64: String, _ hex: String) {
        #expect(OSSDigest.contentMD5(Data(text.utf8)) == base64)
        #expect(OSSDigest.md5Hex(Data(text.utf8)) == hex)
    }
}
