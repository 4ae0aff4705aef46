import CLibPQ

extension Connection {
    /// The version of the libpq this process runs with, such as "15.20" (`PQlibVersion`).
    ///
    /// https://www.postgresql.org/docs/current/libpq-misc.html#LIBPQ-PQLIBVERSION
    public static var libraryVersion: String {
        let n = Int(PQlibVersion())
        // Since PostgreSQL 10 the number is major * 10000 + minor; before, major * 10000 + minor * 100 + patch.
        return n >= 100_000 ? "\(n / 10_000).\(n % 10_000)" : "\(n / 10_000).\(n / 100 % 100).\(n % 100)"
    }
}
