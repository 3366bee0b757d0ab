import Foundation
import Glibc
import XCTest

@testable import BSNN

final class AtomicFileTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try makeTempDirectory() }
    override func tearDown() { removeTree(dir) }

    func directoryEntries() -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var names = [String]()
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    func testWriteThenReadRoundTrip() throws {
        let path = dir + "/a.bin"
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try AtomicFile.write(bytes, to: path)
        XCTAssertEqual(try readFile(path), bytes)
        try AtomicFile.write([1, 2, 3], to: path)
        XCTAssertEqual(try readFile(path), [1, 2, 3])
        try AtomicFile.write([], to: path)
        XCTAssertEqual(try readFile(path), [])
        XCTAssertEqual(directoryEntries(), ["a.bin"], "no temporary files may remain")
    }

    func testReplacementKeepsPermissions() throws {
        let path = dir + "/p.bin"
        try AtomicFile.write([1], to: path)
        chmod(path, 0o600)
        try AtomicFile.write([2], to: path)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
    }

    func testRelativePathInCurrentDirectory() throws {
        let old = getcwd(nil, 0)
        defer { if let old { chdir(old); free(old) } }
        XCTAssertEqual(chdir(dir), 0)
        try AtomicFile.write([9, 9], to: "rel.bin")
        XCTAssertEqual(try readFile(dir + "/rel.bin"), [9, 9])
    }

    func testReadErrors() throws {
        assertThrowsKind(ioKind, try readFile(dir + "/missing.bin"), contains: "No such file or directory")
        assertThrowsKind(ioKind, try readFile(dir), contains: "directory")
    }

    func testParentIsARegularFile() throws {
        let parent = dir + "/plain"
        try AtomicFile.write([7], to: parent)
        let msg = assertThrowsKind(ioKind, try AtomicFile.write([1], to: parent + "/x.bin"), contains: "Not a directory")
        XCTAssertTrue(msg?.contains(parent + "/x.bin") ?? false, msg ?? "")
        assertThrowsKind(ioKind, try AtomicFile.write([1], to: dir + "/nodir/x.bin"), contains: "No such file or directory")
        XCTAssertEqual(try readFile(parent), [7])
    }

    func testTargetIsADirectoryLeavesItAlone() throws {
        let sub = dir + "/sub"
        XCTAssertEqual(mkdir(sub, 0o755), 0)
        assertThrowsKind(ioKind, try AtomicFile.write([1], to: sub))
        XCTAssertEqual(directoryEntries(), ["sub"])
    }

    /// A write that fails half-way (here: the file size limit, standing in for a full
    /// disk) must leave the previous contents and no temporary file behind.
    func testFailedWriteKeepsOldFileIntact() throws {
        let path = dir + "/model.bin"
        let old: [UInt8] = Array(repeating: 0xAB, count: 1000)
        try AtomicFile.write(old, to: path)

        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        var small = saved
        small.rlim_cur = 4096
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &small), 0)
        let result = Result { try AtomicFile.write(Array(repeating: 0xCD, count: 100_000), to: path) }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        signal(SIGXFSZ, oldHandler)

        XCTAssertThrowsError(try result.get()) { e in
            guard let e = e as? BSNNError, case .io(let m) = e else { return XCTFail("\(e)") }
            XCTAssertTrue(m.contains(path) && m.contains("File too large"), m)
        }
        XCTAssertEqual(try readFile(path), old)
        XCTAssertEqual(directoryEntries(), ["model.bin"])
    }

    // MARK: What is at the path (issue 12 item 7)

    func isSymlink(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK
    }

    func entries(_ d: String) -> [String] {
        guard let h = opendir(d) else { return [] }
        defer { closedir(h) }
        var names = [String]()
        while let e = readdir(h) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// A symlink stays a link and its (final) target gets the new contents; the temporary
    /// file lives next to the target, so nothing is left in the link's directory either.
    func testWritingThroughASymlinkChainUpdatesTheTarget() throws {
        XCTAssertEqual(mkdir(dir + "/real", 0o755), 0)
        XCTAssertEqual(mkdir(dir + "/links", 0o755), 0)
        try AtomicFile.write([1, 1], to: dir + "/real/model.bin")
        XCTAssertEqual(symlink("../real/model.bin", dir + "/links/hop"), 0)
        XCTAssertEqual(symlink("hop", dir + "/links/model.bin"), 0)
        try AtomicFile.write([2, 2, 2], to: dir + "/links/model.bin")
        XCTAssertTrue(isSymlink(dir + "/links/model.bin"))
        XCTAssertTrue(isSymlink(dir + "/links/hop"))
        XCTAssertEqual(try readFile(dir + "/real/model.bin"), [2, 2, 2])
        XCTAssertEqual(entries(dir + "/real"), ["model.bin"])
        XCTAssertEqual(entries(dir + "/links"), ["hop", "model.bin"])
        // A dangling link creates its target.
        XCTAssertEqual(symlink(dir + "/real/new.bin", dir + "/links/dangling"), 0)
        try AtomicFile.write([7], to: dir + "/links/dangling")
        XCTAssertTrue(isSymlink(dir + "/links/dangling"))
        XCTAssertEqual(try readFile(dir + "/real/new.bin"), [7])
        // A loop is an error, not a hang.
        XCTAssertEqual(symlink("loop", dir + "/links/loop"), 0)
        assertThrowsKind(ioKind, try AtomicFile.write([1], to: dir + "/links/loop"))
    }

    /// A hard link is a second name of the old inode: the rename gives `path` a new file
    /// and the other name keeps the old contents (documented in `AtomicFile.write`).
    func testHardLinkKeepsTheOldContents() throws {
        try AtomicFile.write([1], to: dir + "/a.bin")
        XCTAssertEqual(link(dir + "/a.bin", dir + "/b.bin"), 0)
        try AtomicFile.write([2], to: dir + "/a.bin")
        XCTAssertEqual(try readFile(dir + "/a.bin"), [2])
        XCTAssertEqual(try readFile(dir + "/b.bin"), [1])
    }

    /// A FIFO is written in place (a reader gets the bytes) and stays a FIFO; reading a
    /// FIFO as an input file is refused at once instead of blocking for a writer.
    func testFIFOIsWrittenInPlaceAndRefusedAsInput() throws {
        let fifo = dir + "/pipe"
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        assertThrowsKind(ioKind, try readFile(fifo), contains: "FIFO")
        assertThrowsKind(ioKind, try ModelFile.load(fifo), contains: "FIFO")
        assertThrowsKind("plugin error", try PluginLibrary.load(path: fifo), contains: "FIFO")
        let payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        final class Box: @unchecked Sendable { var bytes: [UInt8] = [] }
        let received = Box()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { done.signal() }
            let fd = open(fifo, O_RDONLY)
            guard fd >= 0 else { return }
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                received.bytes += buf[0..<n]
            }
            close(fd)
        }
        try AtomicFile.write(payload, to: fifo)
        done.wait()
        XCTAssertEqual(received.bytes, payload)
        var st = stat()
        XCTAssertEqual(lstat(fifo, &st), 0)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(entries(dir), ["pipe"])
    }

    /// Leftovers of killed saves of the same target (writer pid gone) are removed by the
    /// next successful save; those of live processes and of other targets are kept.
    func testStaleTemporariesOfTheSameTargetAreRemoved() throws {
        let dead = "999999999"  // above any pid_max (at most 2^22), so no such process
        let names = [
            ".model.bin.tmp-\(dead)-Ab12Cd", ".model.bin.tmp-\(getpid())-Zz99Yy", ".model.bin.tmp-1-Qq11Ww",
            ".other.bin.tmp-\(dead)-Ab12Cd", ".model.bin.tmp-\(dead)-toolongname",
        ]
        for n in names { try AtomicFile.write([0], to: dir + "/" + n) }
        try AtomicFile.write([5], to: dir + "/model.bin")
        XCTAssertEqual(entries(dir), (["model.bin"] + names.dropFirst()).sorted())
    }

    /// `--out /dev/stdout` with stdout redirected to a file reaches that file through a
    /// /proc/self/fd link. Here the descriptor is our own temporary file (no device is
    /// involved): the bytes must land in the open file, not in a renamed replacement.
    func testProcFdLinkIsWrittenThroughTheOpenDescriptor() throws {
        let path = dir + "/redirected.txt"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var before = stat()
        XCTAssertEqual(fstat(fd, &before), 0)
        XCTAssertEqual(symlink("/proc/self/fd/\(fd)", dir + "/stdout-link"), 0)
        try AtomicFile.write([1, 2, 3], to: dir + "/stdout-link")
        try AtomicFile.write([4], to: "/proc/self/fd/\(fd)")
        var after = stat()
        XCTAssertEqual(stat(path, &after), 0)
        XCTAssertEqual(after.st_ino, before.st_ino, "the open file must not be replaced")
        XCTAssertEqual(try readFile(path), [1, 2, 3, 4])
        XCTAssertEqual(entries(dir), ["redirected.txt", "stdout-link"])
    }
}
