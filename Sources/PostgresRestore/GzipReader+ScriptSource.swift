import Archive

// GzipReader already reads decompressed bytes with the same signature; restore reads `.sql.gz` through it.
extension GzipReader: ScriptSource {}
extension HashingSource: ScriptSource {}
// A read-ahead thread may feed a GzipReader (hashing the file on one thread, inflating on another).
extension ReadAheadSource: ByteSource {}
