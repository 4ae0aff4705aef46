import Archive
import Testing

@Suite("End check source")
struct EndCheckSourceTests {
    struct Mismatch: Error, Equatable {}

    @Test("the check runs once, at the end, and a passed check lets the end through")
    func passes() throws {
        var checks = 0
        let source = EndCheckSource(BytesSource("abcdef", chunkSize: 4)) { checks += 1 }
        #expect(try source.readAll() == Array("abcdef".utf8))
        #expect(checks == 1)
        #expect(try source.readAll() == [])
        #expect(checks == 1)
    }

    @Test("a failed check comes before the end and again on every later read")
    func fails() throws {
        let source = EndCheckSource(BytesSource("abc")) { throw Mismatch() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16, alignment: 1)
        defer { buffer.deallocate() }
        #expect(try source.read(into: buffer) == 3)
        #expect(throws: Mismatch()) { _ = try source.read(into: buffer) }
        #expect(throws: Mismatch()) { _ = try source.read(into: buffer) }
    }
}
