import Foundation
import Replication
import Storage
import Testing
import TestSupport

@Suite struct ReplicaLayoutTests {
    let layout = ReplicaLayout(source: "mms")

    @Test func namesFollowTheLayout() {
        #expect(layout.root == "replica/mms/")
        #expect(layout.snapshotName("20250101030405000-0000abcd") == "replica/mms/20250101030405000-0000abcd/snapshot.db.gz")
        #expect(layout.segmentName("20250101030405000-0000abcd", index: 0x1a)
            == "replica/mms/20250101030405000-0000abcd/wal/000000000000001a.wal.gz")
    }

    @Test(arguments: [
        ("0000000000000000.wal.gz", UInt64?.some(0)),
        ("00000000000000ff.wal.gz", 255),
        ("ffffffffffffffff.wal.gz", .max),
        ("00000000000000FF.wal.gz", nil),
        ("0000000000000000.wal", nil),
        ("000000000000000.wal.gz", nil),
        ("snapshot.db.gz", nil),
    ])
    func readsSegmentIndexes(_ name: String, _ expected: UInt64?) {
        #expect(ReplicaLayout.segmentIndex(name) == expected)
    }

    @Test func generationNamesSortByTimeAndReadBack() throws {
        let early = Date(timeIntervalSince1970: 1_735_700_645.25) // 2025-01-01 03:04:05.250 UTC
        let name = ReplicaLayout.generationName(startedAt: early, random: 0xab)
        #expect(name == "20250101030405250-000000ab")
        #expect(ReplicaLayout.generationStart(name) == early)
        // Milliseconds in the name: generations started within one second still sort by time.
        let later = ReplicaLayout.generationName(startedAt: early.addingTimeInterval(0.001), random: 0)
        #expect(name < later)
        for bad in ["20250101030405250", "2025010103040525-000000ab", "20250101030405250-000000AB", "x-y", ""] {
            #expect(ReplicaLayout.generationStart(bad) == nil, "\(bad)")
        }
    }

    @Test func generationsKeepTheChainUpToTheFirstGapAndIgnoreOtherNames() {
        let g1 = "20250101000000000-00000001"
        let g2 = "20250102000000000-00000002"
        func entry(_ name: String) -> StorageEntry { StorageEntry(name: name, size: 1, modified: nil) }
        let entries = [
            entry(layout.snapshotName(g1)),
            entry(layout.segmentName(g1, index: 0)), entry(layout.segmentName(g1, index: 1)),
            entry(layout.segmentName(g1, index: 3)),
            entry(layout.segmentName(g2, index: 0)),
            entry("replica/mms/\(g1)/wal/notes.txt"), entry("replica/mms/readme"), entry("replica/other/\(g1)/snapshot.db.gz"),
            entry("mms_20250101_000000.db.gz"),
        ]
        let found = layout.generations(in: entries)
        #expect(found.map(\.name) == [g1, g2])
        #expect(found[0].chain.map(\.name) == [layout.segmentName(g1, index: 0), layout.segmentName(g1, index: 1)])
        #expect(found[0].firstGap == 2)
        #expect(found[0].snapshot != nil)
        // No snapshot (an interrupted start): listed, but not restorable.
        #expect(found[1].snapshot == nil)
        #expect(found[1].firstGap == nil)
    }
}

@Suite struct SegmentTests {
    func sample(payload: Data) -> Segment {
        Segment(header: SegmentHeader(generation: "20250101000000-00000001", index: 7, salt1: 1, salt2: 2, checkpointSequence: 3,
                                      startOffset: 32, pageSize: 512, frameCount: payload.count / 536, commitCount: 1,
                                      commitTime: Date(timeIntervalSince1970: 1_735_700_645.25),
                                      payloadSHA256: sha256(payload)),
                payload: payload)
    }

    func sha256(_ data: Data) -> String {
        // The same digest the module writes, computed by a separate tool.
        let dir = try! TempDir("sha")
        try! data.write(to: dir.file("p"))
        return try! runProcess("sha256sum", [dir.file("p").path]).stdout.split(separator: " ")[0].description
    }

    @Test func roundTripsAndChecksTheHash() throws {
        let payload = Data((0..<(536 * 2)).map { UInt8($0 % 251) })
        let segment = sample(payload: payload)
        let stored = try segment.encoded()
        #expect(stored.starts(with: [0x1f, 0x8b]))
        #expect(try Segment.decode(stored, name: "s") == segment)

        var tampered = segment
        tampered.payload[5] ^= 1
        let bad = try tampered.encoded()
        #expect { try Segment.decode(bad, name: "s") } throws: { ($0 as? ReplicationError)?.kind == .segmentFormat }
        #expect { try Segment.decode(Data("not gzip".utf8), name: "s") } throws: { ($0 as? ReplicationError)?.kind == .segmentFormat }
    }
}
