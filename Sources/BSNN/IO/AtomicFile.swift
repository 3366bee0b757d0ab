import Glibc

/// Whole-file reads and crash-safe replacement of files.
///
/// A writer that truncates and rewrites a checkpoint in place loses both the old and the
/// new state if the process dies half-way; `write` instead builds the new contents next to
/// the target and swaps them in with one `rename`, which POSIX makes atomic.
public enum AtomicFile {
    /// The whole contents of the regular file at `path`.
    public static func read(_ path: String) throws -> [UInt8] {
        let fd = open(FilePathBytes.cString(path), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError("cannot open '\(path)' for reading") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ioError("cannot stat '\(path)'") }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw BSNNError.io("cannot read '\(path)': expected a regular file, got a directory")
        }
        // st_size is only a hint (pipes, /proc files report 0; files may grow while read),
        // so keep reading until EOF but never reserve more than the size reported.
        var result = [UInt8]()
        if st.st_size > 0 { result.reserveCapacity(Int(st.st_size)) }
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

    /// Replaces the file at `path` with `bytes` so that a crash at any point leaves either
    /// the complete old file or the complete new one. On failure the old file is left
    /// untouched, no temporary file remains, and `.io` names the path and the OS reason.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw BSNNError.invalidArgument("path: expected a file path, got '\(path)'")
        }
        let directory: String
        let base: String
        if let slash = path.lastIndex(of: "/") {
            directory = slash == path.startIndex ? "/" : String(path[..<slash])
            base = String(path[path.index(after: slash)...])
        } else {
            directory = "."
            base = path
        }
        // Keep the existing file's permissions; a fresh file gets the usual 0644.
        var mode: mode_t = 0o644
        var old = stat()
        if stat(FilePathBytes.cString(path), &old) == 0 {
            if (old.st_mode & S_IFMT) == S_IFDIR {
                throw BSNNError.io("cannot write '\(path)': expected a file path, got a directory")
            }
            mode = old.st_mode & 0o7777
        }

        // mkstemp gives a name no concurrent writer (thread or process) can share.
        var template = FilePathBytes.cString(directory + "/." + base + ".tmp-XXXXXX")
        let fd = template.withUnsafeMutableBufferPointer { p -> Int32 in
            guard let base = p.baseAddress else { return -1 }
            return mkstemp(base)
        }
        guard fd >= 0 else { throw ioError("cannot create a temporary file in '\(directory)' to write '\(path)'") }
        let tempPath = FilePathBytes.string(template.dropLast().map { UInt8(bitPattern: $0) })
        var renamed = false
        var closed = false
        defer {
            if !closed { close(fd) }
            if !renamed { unlink(FilePathBytes.cString(tempPath)) }
        }

        guard fchmod(fd, mode) == 0 else { throw ioError("cannot set permissions of '\(tempPath)'") }
        try bytes.withUnsafeBytes { buffer in
            guard let start = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, start + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ioError("cannot write '\(path)' (temporary file '\(tempPath)')")
                }
                offset += n
            }
        }
        // Without fsync before rename, a crash can leave the new name pointing at an
        // empty or partial file on ext4/xfs with delayed allocation.
        guard fsync(fd) == 0 else { throw ioError("cannot flush '\(path)' (temporary file '\(tempPath)')") }
        closed = true
        guard close(fd) == 0 else { throw ioError("cannot close '\(path)' (temporary file '\(tempPath)')") }
        guard rename(FilePathBytes.cString(tempPath), FilePathBytes.cString(path)) == 0 else { throw ioError("cannot replace '\(path)'") }
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
    }

    static func ioError(_ what: String) -> BSNNError {
        let err = errno
        let reason = String(cString: strerror(err))
        return BSNNError.io("\(what): \(reason) (errno \(err))")
    }
}

/// The whole contents of the regular file at `path` (see `AtomicFile.read`).
public func readFile(_ path: String) throws -> [UInt8] { try AtomicFile.read(path) }
