import Foundation
import ObjectStorage

/// Local file steps of a mirror: streaming CRC-64, and safe destinations inside a folder.
enum LocalFiles {
    /// The CRC-64 of the file at `path`, read in 1 MiB blocks (memory stays flat whatever the size).
    static func crc64(path: String) throws(MirrorError) -> UInt64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { throw MirrorError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { block.deallocate() }
        var crc = CRC64()
        while true {
            let n = read(fd, block.baseAddress!, block.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw MirrorError("reading \(path) failed: \(String(cString: strerror(errno)))") }
            if n == 0 { return crc.value }
            crc.update(UnsafeRawBufferPointer(rebasing: block[0..<n]))
        }
    }

    /// Creates the parent folders of `path` under `root`, one component at a time, and checks that neither
    /// the destination nor its `.partial` is anything but a regular file.
    ///
    /// A symlink (or a file) where a folder should be is refused rather than followed, so a download can
    /// never write outside `root` through a link planted in it.
    static func prepareDestination(root: String, path: MirrorPath) throws(MirrorError) {
        let components = path.string.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var current = root
        for component in components.dropLast() {
            current += "/" + component
            var st = stat()
            if lstat(current, &st) == 0 {
                guard (st.st_mode & S_IFMT) == S_IFDIR else {
                    throw MirrorError("\(current) is in the way: it is a \((st.st_mode & S_IFMT) == S_IFLNK ? "symbolic link" : "file"), not a folder; refusing to write through it")
                }
            } else if errno == ENOENT {
                guard mkdir(current, 0o755) == 0 || errno == EEXIST else {
                    throw MirrorError("cannot create the folder \(current): \(String(cString: strerror(errno)))")
                }
                // Another worker may have made it in between; it must still be a real folder.
                guard lstat(current, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                    throw MirrorError("\(current) is not a folder; refusing to write through it")
                }
            } else {
                throw MirrorError("cannot check \(current): \(String(cString: strerror(errno)))")
            }
        }
        for file in [current + "/" + components.last!, current + "/" + components.last! + ".partial"] {
            var st = stat()
            if lstat(file, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
                throw MirrorError("\(file) exists and is not a regular file (\((st.st_mode & S_IFMT) == S_IFLNK ? "a symbolic link" : "a folder or special file")); refusing to replace it")
            }
        }
    }
}
