import Glibc

/// Whole-file reads and crash-safe replacement of files.
///
/// A writer that truncates and rewrites a checkpoint in place loses both the old and the
/// new state if the process dies half-way; `write` instead builds the new contents next to
/// the target and swaps them in with one `rename`, which POSIX makes atomic.
public enum AtomicFile {
    /// Symlink hops followed when resolving a target, as the kernel's own limit (ELOOP).
    static let maxSymlinkHops = 40

    /// Opens `path` for reading and checks it is a regular file. `O_NONBLOCK` keeps the
    /// open itself from blocking on a FIFO with no writer; `fstat` on the opened
    /// descriptor (not a `stat` of the path, which could change in between) then refuses
    /// FIFOs, devices (`/dev/zero` would be read until memory runs out), sockets and
    /// directories. The caller owns the descriptor.
    static func openRegularFile(_ path: String, role: String = "file") throws(BSNNError) -> (fd: Int32, size: Int) {
        let fd = open(FilePathBytes.cString(path), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw ioError("cannot open '\(path)' for reading") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = ioError("cannot stat '\(path)'")
            close(fd)
            throw e
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw BSNNError.io("cannot read '\(path)': expected a regular \(role), got \(kindName(st.st_mode))")
        }
        // Regular files never block; clear the flag so reads behave normally.
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return (fd, Int(st.st_size))
    }

    /// Throws `.io` unless `path` names a regular file (see `openRegularFile`). For paths
    /// handed to other readers, such as `dlopen`, that would block on a FIFO.
    public static func requireRegularFile(_ path: String, role: String = "file") throws(BSNNError) {
        close(try openRegularFile(path, role: role).fd)
    }

    static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "a special file"
        }
    }

    /// The whole contents of the regular file at `path`; anything else is refused with
    /// `.io` before a byte is read (see `openRegularFile`).
    public static func read(_ path: String) throws(BSNNError) -> [UInt8] {
        let (fd, size) = try openRegularFile(path)
        defer { close(fd) }
        // The size is a hint (the file may grow or shrink while it is read): read to EOF.
        var result = [UInt8]()
        if size > 0 {
            try MemoryBudget.checkArray(of: UInt8.self, count: size, what: "contents of '\(path)'")
            result.reserveCapacity(size)
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("cannot read '\(path)'")
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Writes `bytes` to `path`, respecting what is there:
    ///
    /// * a regular file, or nothing: the new contents are built in a temporary file next
    ///   to the target, `fsync`ed and `rename`d over it (then the directory is `fsync`ed),
    ///   so a crash at any point leaves either the complete old file or the complete new
    ///   one. The old file's permission bits are kept (a new file gets 0644); owner and
    ///   extended attributes are those of the new file. A hard link is a second name of
    ///   the old inode: after the rename `path` names the new file and the other links
    ///   keep the old contents.
    /// * a symbolic link (chain): followed; the temporary file is made next to the final
    ///   target and renamed over it, so the link stays a link and its target is updated.
    ///   A dangling link creates its target.
    /// * a FIFO, character device or other non-regular file: opened and written directly
    ///   (never renamed over, never fsynced); not atomic, as such targets cannot be.
    /// * a directory: refused.
    /// * a path reaching /proc (`/dev/stdout` → `/proc/self/fd/1` → a regular file the
    ///   shell opened): appended to in place, so the output lands in the caller's open file.
    ///
    /// After a successful replacement, temporary files that interrupted saves of the same
    /// target left behind (their writer process no longer exists) are removed. On failure
    /// the old file is left untouched, no temporary file remains, and `.io` names the path
    /// and the OS reason.
    public static func write(_ bytes: [UInt8], to path: String) throws(BSNNError) {
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw BSNNError.invalidArgument("path: expected a file path, got '\(path)'")
        }
        var st = stat()
        if stat(FilePathBytes.cString(path), &st) == 0 {
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                throw BSNNError.io("cannot write '\(path)': expected a file path, got a directory")
            case S_IFREG:
                break
            default:
                // Opened through the path, so magic links such as /proc/self/fd/1 work.
                return try writeDirectly(bytes, to: path, kind: kindName(st.st_mode))
            }
        }
        let target = try resolveTarget(path)
        if target.hasPrefix("/proc/") {
            // /dev/stdout → /proc/self/fd/1 → an already open file: renaming over it would
            // detach it from the descriptor the caller's shell set up, so append to it in
            // place (a `>` redirection has emptied it already, `>>` asks for appending).
            return try writeDirectly(bytes, to: path, kind: "an open file descriptor", flags: O_APPEND)
        }
        try replace(bytes, at: target, requested: path)
    }

    /// The file a write to `path` must replace: `path` itself unless it is a symlink,
    /// else the end of its chain (which may not exist yet). A chain through /proc (whose
    /// fd links are not real paths) stops at the first /proc entry.
    static func resolveTarget(_ path: String) throws(BSNNError) -> String {
        var target = path
        for _ in 0..<maxSymlinkHops {
            if target.hasPrefix("/proc/") { return target }
            var st = stat()
            guard lstat(FilePathBytes.cString(target), &st) == 0 else {
                if errno == ENOENT { return target }
                throw ioError("cannot write '\(path)': cannot inspect '\(target)'")
            }
            guard (st.st_mode & S_IFMT) == S_IFLNK else { return target }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(FilePathBytes.cString(target), &buffer, buffer.count - 1)
            guard n >= 0 else { throw ioError("cannot write '\(path)': cannot read the link '\(target)'") }
            let link = FilePathBytes.string(buffer[0..<n].map { UInt8(bitPattern: $0) })
            target = link.hasPrefix("/") ? link : split(target).directory + "/" + link
        }
        errno = ELOOP
        throw ioError("cannot write '\(path)'")
    }

    static func split(_ path: String) -> (directory: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = slash == path.startIndex ? "/" : String(path[..<slash])
        return (directory, String(path[path.index(after: slash)...]))
    }

    static func writeDirectly(_ bytes: [UInt8], to path: String, kind: String, flags: Int32 = 0) throws(BSNNError) {
        let fd = open(FilePathBytes.cString(path), O_WRONLY | O_CLOEXEC | O_NOCTTY | flags)
        guard fd >= 0 else { throw ioError("cannot open '\(path)' (\(kind)) for writing") }
        defer { close(fd) }
        try writeAll(bytes, fd: fd, what: "'\(path)' (\(kind))")
    }

    /// Writes all of `bytes` to an open descriptor (retrying short writes and EINTR).
    public static func writeAll(_ bytes: [UInt8], fd: Int32, what: String) throws(BSNNError) {
        try bytes.withUnsafeBufferPointer { (buffer) throws(BSNNError) in
            guard let start = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, start + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ioError("cannot write \(what)")
                }
                offset += n
            }
        }
    }

    /// Temporary names are `.<base>.tmp-<pid>-XXXXXX`: the pid lets a later save tell a
    /// leftover of a killed writer from the live file of a concurrent one.
    static func temporaryPrefix(base: String) -> String { "." + base + ".tmp-" }

    static func replace(_ bytes: [UInt8], at target: String, requested path: String) throws(BSNNError) {
        let (directory, base) = split(target)
        // Keep the existing file's permissions; a fresh file gets the usual 0644.
        var mode: mode_t = 0o644
        var old = stat()
        if stat(FilePathBytes.cString(target), &old) == 0 {
            if (old.st_mode & S_IFMT) == S_IFDIR {
                throw BSNNError.io("cannot write '\(path)': expected a file path, got a directory")
            }
            mode = old.st_mode & 0o7777
        }

        // mkstemp gives a name no concurrent writer (thread or process) can share.
        var template = FilePathBytes.cString(directory + "/" + temporaryPrefix(base: base) + "\(getpid())-XXXXXX")
        let fd = template.withUnsafeMutableBufferPointer { p -> Int32 in
            guard let base = p.baseAddress else { return -1 }
            return mkstemp(base)
        }
        guard fd >= 0 else { throw ioError("cannot create a temporary file in '\(directory)' to write '\(path)'") }
        let tempPath = FilePathBytes.string(template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
        var renamed = false
        var closed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(FilePathBytes.cString(tempPath)) }
        }

        guard fchmod(fd, mode) == 0 else { throw ioError("cannot set permissions of '\(tempPath)'") }
        try writeAll(bytes, fd: fd, what: "'\(path)' (temporary file '\(tempPath)')")
        // Without fsync before rename, a crash can leave the new name pointing at an
        // empty or partial file on ext4/xfs with delayed allocation.
        guard fsync(fd) == 0 else { throw ioError("cannot flush '\(path)' (temporary file '\(tempPath)')") }
        closed = true
        guard close(fd) == 0 else { throw ioError("cannot close '\(path)' (temporary file '\(tempPath)')") }
        guard rename(FilePathBytes.cString(tempPath), FilePathBytes.cString(target)) == 0 else { throw ioError("cannot replace '\(target)'") }
        renamed = true
        // The rename itself lives in the directory; flush it so it survives a power loss.
        let dfd = open(FilePathBytes.cString(directory), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            let rc = fsync(dfd)
            let err = errno
            close(dfd)
            // Some file systems cannot fsync directories (EINVAL); the data is safe then.
            if rc != 0 && err != EINVAL {
                errno = err
                throw ioError("wrote '\(path)' but cannot flush its directory '\(directory)'")
            }
        }
        removeStaleTemporaries(directory: directory, base: base)
    }

    /// Deletes `.<base>.tmp-<pid>-XXXXXX` files whose writer no longer runs (a save killed
    /// between mkstemp and rename). Files of live processes, this one included, are left
    /// alone: they may belong to a concurrent save. Best effort: errors are ignored.
    static func removeStaleTemporaries(directory: String, base: String) {
        let prefix = temporaryPrefix(base: base)
        let me = getpid()
        for name in staleTemporaryCandidates(directory: directory, prefix: prefix) {
            let rest = name.utf8.dropFirst(prefix.utf8.count)
            guard let dash = rest.firstIndex(of: UInt8(ascii: "-")), rest.distance(from: dash, to: rest.endIndex) == 7,
                let pid = Int32(String(decoding: rest[rest.startIndex..<dash], as: UTF8.self)), pid > 0, pid != me
            else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(FilePathBytes.cString(directory + "/" + name)) }
        }
    }

    static func staleTemporaryCandidates(directory: String, prefix: String) -> [String] {
        guard let d = opendir(FilePathBytes.cString(directory)) else { return [] }
        defer { closedir(d) }
        var names = [String]()
        while let e = readdir(d) {
            // In place, up to the NUL: the bytes of d_name past the name are not
            // initialized (a dirent is only as long as its name).
            let name = withUnsafeMutablePointer(to: &e.pointee.d_name) { field -> String in
                field.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: field.pointee)) { c in
                    FilePathBytes.string(UnsafeRawBufferPointer(start: c, count: strlen(c)))
                }
            }
            if name.hasPrefix(prefix) { names.append(name) }
        }
        return names
    }

    static func ioError(_ what: String) -> BSNNError {
        let err = errno
        let reason = String(cString: strerror(err))
        return BSNNError.io("\(what): \(reason) (errno \(err))")
    }
}

/// The whole contents of the regular file at `path` (see `AtomicFile.read`).
package func readFile(_ path: String) throws(BSNNError) -> [UInt8] { try AtomicFile.read(path) }
