import Foundation

/// A regular file found in a mirrored folder.
public struct LocalFile: Sendable, Equatable {
    /// The path relative to the folder, as the bytes on disk.
    public var path: MirrorPath
    /// The path to open.
    public var fullPath: String
    public var size: Int64
}

/// What `LocalWalker.walk` found: regular files to mirror, and everything else, reported.
public struct LocalTree: Sendable {
    public var files: [LocalFile] = []
    /// Symlinks, sockets, FIFOs, devices, unreadable files and folders, names that are not UTF-8.
    public var problems: [MirrorProblem] = []
}

/// Lists a folder recursively without following symlinks.
///
/// Uses `readdir`/`lstat` directly so that names keep their bytes exactly (NFC and NFD spellings stay two
/// files) and nothing is skipped without a word: anything that is not a regular file or a folder, or cannot
/// be read, becomes a `MirrorProblem` naming it.
public enum LocalWalker {
    /// Walks `root`, which must be a folder.
    public static func walk(_ root: String) throws(MirrorError) -> LocalTree {
        var st = stat()
        guard stat(root, &st) == 0 else {
            throw MirrorError("cannot read the folder \(root): \(String(cString: strerror(errno)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw MirrorError("\(root) is not a folder") }
        var tree = LocalTree()
        // Depth-first with an explicit stack: deep trees cannot overflow the thread's stack.
        var stack: [(relative: MirrorPath, full: String)] = [(MirrorPath(""), root.hasSuffix("/") ? String(root.dropLast()) : root)]
        while let top = stack.popLast() {
            let (relative, full) = top
            guard let dir = opendir(full) else {
                tree.problems.append(MirrorProblem(subject: full, path: relative, isFolder: true,
                                                   message: "folder cannot be read (\(String(cString: strerror(errno)))); nothing below it is mirrored or deleted"))
                continue
            }
            var children: [(name: MirrorPath, full: String)] = []
            while let entry = readdir(dir) {
                let raw = withUnsafeBytes(of: entry.pointee.d_name) { buffer in Array(buffer.prefix { $0 != 0 }) }
                if raw == [0x2E] || raw == [0x2E, 0x2E] { continue }
                guard let name = String(validating: raw, as: UTF8.self) else {
                    tree.problems.append(MirrorProblem(subject: full + "/" + String(decoding: raw, as: UTF8.self), path: nil,
                                                       message: "the name is not valid UTF-8, so it cannot be an OSS key"))
                    continue
                }
                children.append((MirrorPath(bytes: raw), full + "/" + name))
            }
            closedir(dir)
            var folders: [(relative: MirrorPath, full: String)] = []
            for child in children.sorted(by: { $0.name < $1.name }) {
                let path = relative.appending(child.name)
                var info = stat()
                guard lstat(child.full, &info) == 0 else {
                    tree.problems.append(MirrorProblem(subject: child.full, path: path,
                                                       message: "cannot be read: \(String(cString: strerror(errno)))"))
                    continue
                }
                switch info.st_mode & S_IFMT {
                case S_IFREG:
                    let fd = open(child.full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                    guard fd >= 0 else {
                        tree.problems.append(MirrorProblem(subject: child.full, path: path,
                                                           message: "file cannot be read: \(String(cString: strerror(errno)))"))
                        continue
                    }
                    close(fd)
                    tree.files.append(LocalFile(path: path, fullPath: child.full, size: Int64(info.st_size)))
                case S_IFDIR:
                    folders.append((path, child.full))
                case S_IFLNK:
                    let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: child.full)).map { " -> \($0)" } ?? ""
                    tree.problems.append(MirrorProblem(subject: child.full, path: path,
                                                       message: "symbolic link\(target), not followed"))
                default:
                    tree.problems.append(MirrorProblem(subject: child.full, path: path,
                                                       message: "\(kindName(info.st_mode)), not a regular file"))
                }
            }
            // Reversed so that popLast visits folders in sorted order.
            stack += folders.reversed()
        }
        return tree
    }

    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFSOCK: "socket"
        case S_IFIFO: "FIFO (named pipe)"
        case S_IFCHR: "character device"
        case S_IFBLK: "block device"
        default: "special file"
        }
    }
}
