/// One member of a tar archive: its name, type, size and metadata.
public struct TarEntry: Sendable, Equatable {
    /// The type of a tar member (the ustar `typeflag`).
    public enum Kind: Sendable, Equatable {
        case regular
        case directory
        case symlink
        case hardlink
        case characterDevice
        case blockDevice
        case fifo
        /// A type this library does not create or extract (GNU sparse 'S', volume label 'V', …).
        case other(UInt8)

        /// Types whose header is followed by no data, whatever the size field says (as Go's archive/tar).
        var isHeaderOnly: Bool {
            switch self {
            case .directory, .symlink, .hardlink, .characterDevice, .blockDevice, .fifo: return true
            case .regular, .other: return false
            }
        }

        var typeflag: UInt8 {
            switch self {
            case .regular: return UInt8(ascii: "0")
            case .hardlink: return UInt8(ascii: "1")
            case .symlink: return UInt8(ascii: "2")
            case .characterDevice: return UInt8(ascii: "3")
            case .blockDevice: return UInt8(ascii: "4")
            case .directory: return UInt8(ascii: "5")
            case .fifo: return UInt8(ascii: "6")
            case .other(let flag): return flag
            }
        }

        init(typeflag: UInt8) {
            switch typeflag {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): self = .regular
            case UInt8(ascii: "1"): self = .hardlink
            case UInt8(ascii: "2"): self = .symlink
            case UInt8(ascii: "3"): self = .characterDevice
            case UInt8(ascii: "4"): self = .blockDevice
            case UInt8(ascii: "5"): self = .directory
            case UInt8(ascii: "6"): self = .fifo
            default: self = .other(typeflag)
            }
        }
    }

    /// The member's path inside the archive, as stored (directories usually end with `/`).
    public var name: String
    /// The member's type.
    public var kind: Kind
    /// The size of the member's data (0 for header-only types).
    public var size: UInt64
    /// Permission bits, including setuid/setgid/sticky (`0o7777`).
    public var mode: UInt32
    /// Modification time, seconds since the epoch.
    public var mtime: Int64
    /// Sub-second part of the modification time, 0..<1_000_000_000.
    public var mtimeNanoseconds: Int32
    /// Numeric owner.
    public var uid: Int
    /// Numeric group.
    public var gid: Int
    /// Owner name (may be empty).
    public var uname: String
    /// Group name (may be empty).
    public var gname: String
    /// Target of a symlink or hardlink; empty otherwise.
    public var linkName: String
    /// Byte offset of the member's first header block in the (uncompressed) archive; set by `TarReader`.
    public var headerOffset: UInt64

    /// Creates an entry; defaults suit a root-owned file dated at the epoch.
    public init(name: String, kind: Kind, size: UInt64 = 0, mode: UInt32 = 0o644, mtime: Int64 = 0,
                mtimeNanoseconds: Int32 = 0, uid: Int = 0, gid: Int = 0, uname: String = "", gname: String = "",
                linkName: String = "", headerOffset: UInt64 = 0) {
        self.name = name
        self.kind = kind
        self.size = size
        self.mode = mode
        self.mtime = mtime
        self.mtimeNanoseconds = mtimeNanoseconds
        self.uid = uid
        self.gid = gid
        self.uname = uname
        self.gname = gname
        self.linkName = linkName
        self.headerOffset = headerOffset
    }
}
