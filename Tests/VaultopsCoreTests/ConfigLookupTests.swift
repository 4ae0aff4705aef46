import Foundation
import Testing
import TestSupport
import VaultopsCore

@Suite("config lookup for commands whose config is optional")
struct ConfigLookupTests {
    /// (--config, $VAULTOPS_CONFIG, ./vaultops.yml exists) → the file used and how it was found.
    @Test(arguments: [
        ("/x.yml", "/y.yml", true, "/x.yml", ConfigLookup.Origin.option),
        (nil, "/y.yml", true, "/y.yml", .environment),
        ("", "/y.yml", false, "/y.yml", .environment),
        (nil, nil, true, "/here/vaultops.yml", .currentFolder),
        (nil, "", false, "/test/default.yml", .defaultPath),
        (nil, nil, false, "/test/default.yml", .defaultPath),
    ] as [(String?, String?, Bool, String, ConfigLookup.Origin)])
    func order(explicit: String?, variable: String?, localExists: Bool, path: String, origin: ConfigLookup.Origin) {
        let environment = variable.map { ["VAULTOPS_CONFIG": $0] } ?? [:]
        let found = ConfigLoader.lookup(explicit: explicit, environment: environment, currentDirectory: "/here",
                                        defaultPath: "/test/default.yml") { $0 == "/here/vaultops.yml" && localExists }
        #expect(found.url.path == path)
        #expect(found.origin == origin)
        #expect(found.isExplicit == (origin == .option || origin == .environment))
    }

    @Test("no config at the default path is no config; a named one that is missing is an error")
    func optional() throws {
        let dir = try TempDir("config-optional")
        let missing = dir.file("absent.yml").path
        #expect(try ConfigLoader.loadOptional(explicit: nil, environment: [:], currentDirectory: dir.path,
                                              defaultPath: missing) == nil)
        let error = #expect(throws: ConfigError.self) {
            try ConfigLoader.loadOptional(explicit: missing, environment: [:], currentDirectory: dir.path, defaultPath: missing)
        }
        #expect(error?.description.contains("does not exist") == true)
        #expect(throws: ConfigError.self) {
            try ConfigLoader.loadOptional(explicit: nil, environment: ["VAULTOPS_CONFIG": missing], currentDirectory: dir.path,
                                          defaultPath: missing)
        }
    }

    @Test("the default config is loaded with the .env beside it")
    func defaultWithDotEnv() throws {
        let dir = try TempDir("config-default")
        try Data("backup_dir: b\noss:\n  bucket: x\n".utf8).write(to: dir.file("vaultops.yml"))
        try Data("OSS_ACCESS_KEY_ID=from-dotenv\n".utf8).write(to: dir.file(".env"))
        let config = try #require(try ConfigLoader.loadOptional(explicit: nil, environment: [:], currentDirectory: "/",
                                                                defaultPath: dir.file("vaultops.yml").path))
        #expect(config.dotEnv["OSS_ACCESS_KEY_ID"] == "from-dotenv")
        #expect(config.ossVariables(environment: [:])["OSS_ACCESS_KEY_ID"] == "from-dotenv")
    }
}
