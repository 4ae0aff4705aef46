import Archive

// GzipReader already reads decompressed bytes with the same signature; restore reads `.sql.gz` through it.
extension GzipReader: ScriptSource {}
extension HashingSource: ScriptSource {}
