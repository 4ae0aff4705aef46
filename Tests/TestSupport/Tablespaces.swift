import Foundation

extension PostgresServer {
    /// Creates tablespace `name` in a new folder inside `dir`, owned by the user the server runs as (the owner of
    /// its data directory, since the test servers run locally); drop it before `dir` goes away.
    public func createTablespace(_ name: String, in dir: TempDir) throws {
        let dataDirectory = try psql("SHOW data_directory").trimmingCharacters(in: .whitespacesAndNewlines)
        let owner = try FileManager.default.attributesOfItem(atPath: dataDirectory)[.ownerAccountID]
        let folder = dir.file("tablespace-\(major)-\(name)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        // The server refuses a location it does not own.
        if let owner { try FileManager.default.setAttributes([.ownerAccountID: owner], ofItemAtPath: folder.path) }
        try psql("CREATE TABLESPACE \(name) LOCATION '\(folder.path)'")
    }
}
