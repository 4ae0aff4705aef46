import Foundation
import Testing
import TestSupport

@Suite("run with OSS settings in the .env beside the config (emulator)")
struct DotEnvRunTests {
    @Test("`run --config` uploads and mirrors with the OSS keys only in .env; a healthy mirror line is INFO")
    func keysOnlyInDotEnv() throws {
        let dir = try TempDir("dotenv-run")
        try makeSources(dir)
        // The fixture folder holds a symbolic link, which a mirror refuses; mirror plain files.
        try FileManager.default.createDirectory(at: dir.file("plain-uploads/2025"), withIntermediateDirectories: true)
        try Data("avatar".utf8).write(to: dir.file("plain-uploads/2025/a.png"))
        try Data("report".utf8).write(to: dir.file("plain-uploads/r 1.pdf"))
        let bucket = try OSSEmulator.freshBucket("dotenv")
        // The secret goes through interpolation too, as compose would read it.
        try Data("""
            OSS_ENDPOINT=\(try OSSEmulator.env("VAULTOPS_TEST_OSS_ENDPOINT"))
            OSS_REGION=\(try OSSEmulator.env("VAULTOPS_TEST_OSS_REGION"))
            export OSS_ACCESS_KEY_ID="\(try OSSEmulator.env("VAULTOPS_TEST_OSS_ACCESS_KEY_ID"))"
            SECRET_PART=\(try OSSEmulator.env("VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"))
            OSS_ACCESS_KEY_SECRET=${SECRET_PART} # interpolated
            UPLOADS=plain-uploads

            """.utf8).write(to: dir.file(".env"))
        let config = try writeConfig(dir, """
            backup_dir: backups
            sources:
              - name: uploads
                files: [${UPLOADS}]
                mirror: oss://\(bucket)/mirror/
            oss:
              bucket: \(bucket)
              prefix: nightly/
            """)
        let r = try vaultops(["run", "--config", config.path], environment: [:])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let objects = try NightlyOSS.objects(bucket, prefix: "nightly/")
        #expect(objects["nightly/uploads_\(todayStamp()).tar.gz"] != nil, "\(objects.keys.sorted())")
        #expect(try !NightlyOSS.objects(bucket, prefix: "mirror/").isEmpty)
        let mirrorLines = r.stderr.split(separator: "\n").filter { $0.contains("failed 0") }
        #expect(!mirrorLines.isEmpty, "\(r.stderr)")
        #expect(mirrorLines.allSatisfy { $0.contains(" INFO ") }, "\(mirrorLines)")
    }
}
