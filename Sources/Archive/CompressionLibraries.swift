import CLibDeflate
import CZlib

/// The compression libraries this process runs with, for `vaultops --version` and bug reports.
public enum CompressionLibraries {
    /// The zlib loaded at run time, such as "1.2.13" (`zlibVersion()`).
    public static var zlibVersion: String { String(cString: CZlib.zlibVersion()) }

    /// The libdeflate version of the headers vaultops was built with, such as "1.14".
    ///
    /// libdeflate has no call that reports the loaded library's version; its soname pins the ABI.
    public static var libdeflateVersion: String { LIBDEFLATE_VERSION_STRING }
}
