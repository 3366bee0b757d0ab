import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import BSNN

/// The checked allocation path (`MemoryBudget`), the BLAS count conversion and the
/// thread-count rule. The allocation tests lower this process's own RLIMIT_AS soft limit
/// (what `ulimit -v` sets) for the duration of one call and restore it right after.
final class MemoryLimitTests: XCTestCase {
    private func addressSpace() -> Int {
        let f = fopen("/proc/self/statm", "r")
        defer { if f != nil { fclose(f) } }
        var pages = 0
        guard let f, withUnsafeMutablePointer(to: &pages, { readLeadingInteger(f, $0) }) else { return 0 }
        return pages * sysconf(Int32(_SC_PAGESIZE))
    }

    /// Runs `body` with RLIMIT_AS = current address space + `headroom` bytes.
    private func withAddressSpaceHeadroom<T>(_ headroom: Int, _ body: () throws -> T) rethrows -> T {
        var saved = rlimit()
        XCTAssertEqual(getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &saved), 0)
        var lowered = saved
        lowered.rlim_cur = rlim_t(addressSpace() + headroom)
        XCTAssertEqual(setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &lowered), 0)
        defer { setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &saved) }
        return try body()
    }

    private func assertOutOfMemory(_ result: Result<some Any, Error>, mentions needle: String, file: StaticString = #filePath, line: UInt = #line) {
        switch result {
        case .success: XCTFail("expected .outOfMemory, the call succeeded", file: file, line: line)
        case .failure(let e):
            guard let e = e as? BSNNError, case .outOfMemory(let m) = e else {
                return XCTFail("expected .outOfMemory, got \(e)", file: file, line: line)
            }
            XCTAssertTrue(m.contains(needle), "'\(m)' does not mention '\(needle)'", file: file, line: line)
        }
    }

    func testSizeOverflowIsOutOfMemoryNamingWhat() {
        assertOutOfMemory(Result { try MemoryBudget.byteCount(Int.max / 2, elementSize: 4, what: "probe inputs") },
                          mentions: "probe inputs: \(Int.max / 2) × 4 bytes overflows")
        assertOutOfMemory(Result { try MemoryBudget.elementCount(4611686018427387904, 500, what: "probe inputs") },
                          mentions: "4611686018427387904 × 500 elements overflows")
        assertOutOfMemory(Result { try FloatBuffer(rows: 1 << 40, columns: 1 << 30, what: "workspace") },
                          mentions: "workspace")
        XCTAssertEqual(try MemoryBudget.elementCount(3, 7, what: "x"), 21)
        XCTAssertThrowsError(try MemoryBudget.byteCount(-1, elementSize: 4, what: "x")) { e in
            XCTAssertEqual(e as? BSNNError, .invalidArgument("x: expected a size >= 0, got -1"))
        }
    }

    func testAvailableBytesFollowsTheAddressSpaceLimit() {
        let headroom = 256 << 20
        let available = withAddressSpaceHeadroom(headroom) { MemoryBudget.availableBytes() }
        // The estimate reads the address space a moment after the limit was set; the
        // few pages mapped in between make it slightly smaller, never larger.
        XCTAssertLessThanOrEqual(available, headroom)
        XCTAssertGreaterThan(available, headroom - (16 << 20))
        XCTAssertGreaterThan(MemoryBudget.availableBytes(), headroom, "the limit is restored")
    }

    func testAllocationsBeyondTheLimitThrowInsteadOfTrapping() {
        let gib = 1 << 30
        withAddressSpaceHeadroom(64 << 20) {
            assertOutOfMemory(Result { try FloatBuffer(count: gib / 4, what: "big buffer") },
                              mentions: "big buffer of \(gib / 4) floats: needs \(gib) bytes")
            assertOutOfMemory(Result { try MemoryBudget.array(repeating: Float(0), count: gib / 4, what: "big array") },
                              mentions: "big array: needs \(gib) bytes")
        }
        XCTAssertEqual(try FloatBuffer(count: 1 << 20).count, 1 << 20, "the limit is restored")
    }

    func testModelCreationAndOrthogonalInitBeyondTheLimit() throws {
        let act = LayerActivation(try BuiltinActivation.make("tanh"))
        // 4096² weights (64 MiB) do not fit 32 MiB of headroom: refused by the pre-check.
        let big = MLPConfiguration(inputs: 4, width: 4096, depth: 1, outputs: 2, activation: act)
        let weightBytes: Int = (4 * 4096 + 4096 * 4096 + 4096 * 2) * 4
        withAddressSpaceHeadroom(32 << 20) {
            assertOutOfMemory(Result { try MLP(big) }, mentions: "weights of model 4→4096×1→2: needs \(weightBytes) bytes")
        }
        // The weights of a 4 → 4096 → 2 net are tiny; the orthogonal initialization of its
        // first layer needs a 4096² Gaussian matrix and its QR copy (128 MiB each, beyond
        // the allocator's heap threshold, so they always need new address space).
        let small = MLPConfiguration(inputs: 4, width: 4096, depth: 0, outputs: 2, activation: act)
        withAddressSpaceHeadroom(64 << 20) {
            assertOutOfMemory(Result { try MLP(small) }, mentions: "orthogonal initialization of a 4096×4 layer: needs \(4096 * 4096 * 8) bytes")
        }
        var xavier = small
        xavier.initialization = .xavier
        XCTAssertEqual(try withAddressSpaceHeadroom(64 << 20) { try MLP(xavier) }.parameterCount, xavier.parameterCount)
    }

    func testBLASCountConversionIsChecked() throws {
        XCTAssertEqual(try BLAS.count(46_341, "n"), 46_341)
        XCTAssertEqual(try BLAS.count(Int(Int32.max), "n"), Int32.max)
        // 46,341² is the first square-layer weight count beyond 32 bits.
        XCTAssertThrowsError(try BLAS.count(46_341 * 46_341, "gradient size")) { e in
            XCTAssertEqual(e as? BSNNError, .invalidArgument("gradient size: \(46_341 * 46_341) exceeds BLAS's 32-bit count limit \(Int32.max)"))
        }
        XCTAssertThrowsError(try BLAS.count(-1, "n"))
    }

    func testThreadCountRuleLivesInTheEngine() throws {
        let before = BLAS.threadCount
        for bad in [0, -1, 4097, 4_294_967_296] {
            XCTAssertThrowsError(try BLAS.setThreadCount(bad)) { e in
                XCTAssertEqual(e as? BSNNError, .invalidArgument("threads: expected 1...4096, got \(bad)"))
            }
            XCTAssertEqual(BLAS.threadCount, before, "a rejected count changes nothing")
        }
        try BLAS.setThreadCount(1)
        XCTAssertEqual(BLAS.threadCount, 1)
        try BLAS.setThreadCount(before)
    }

    /// The sums behind the gradient norms take any count: a square layer of width
    /// ≥ 46,341 has more weights than a 32-bit BLAS count holds.
    func testSumOfSquaresMatchesAPlainSum() {
        let x = gaussianArray(10_001, seed: 3)
        let plain = x.reduce(0.0) { $0 + Double($1) * Double($1) }
        x.withUnsafeBufferPointer { p in
            // dsdot rounds each product to float before the double accumulation.
            XCTAssertEqual(BLAS.sumOfSquares(p.baseAddress!, count: x.count), plain, accuracy: plain * 1e-7)
            XCTAssertEqual(BLAS.sumOfSquaresFast(p.baseAddress!, count: x.count), plain, accuracy: plain * 1e-4)
        }
    }
}

/// `fscanf` is variadic and not imported; read the first number of statm by hand.
private func readLeadingInteger(_ f: UnsafeMutablePointer<FILE>, _ out: UnsafeMutablePointer<Int>) -> Bool {
    var n = 0, any = false
    while true {
        let c = fgetc(f)
        guard c >= 48, c <= 57 else { break }
        n = n * 10 + Int(c - 48)
        any = true
    }
    out.pointee = n
    return any
}
