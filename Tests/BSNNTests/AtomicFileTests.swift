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
}
