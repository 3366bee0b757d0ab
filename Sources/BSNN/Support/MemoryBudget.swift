#if canImport(Glibc)
import Glibc
#endif

/// The one checked path for every allocation whose size follows from user input (model
/// sizes, batch and sample counts, file sizes). Swift's own array allocation traps when
/// `malloc` fails, which would kill a C or Python host; here the size is computed with
/// overflow checks, compared with what this process can still obtain, and the memory
/// comes from `malloc`/`posix_memalign`, whose failure is an `.outOfMemory` error.
public enum MemoryBudget {
    /// `count × elementSize` bytes; `.outOfMemory` naming `what` when the product overflows.
    public static func byteCount(_ count: Int, elementSize: Int, what: String) throws(BSNNError) -> Int {
        guard count >= 0 else {
            throw BSNNError.invalidArgument("\(what): expected a size >= 0, got \(count)")
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else {
            throw BSNNError.outOfMemory("\(what): \(count) × \(elementSize) bytes overflows a 64-bit size")
        }
        return bytes
    }

    /// `a × b` elements, overflow-checked (a matrix's rows × columns, samples × features).
    public static func elementCount(_ a: Int, _ b: Int, what: String) throws(BSNNError) -> Int {
        guard a >= 0, b >= 0 else {
            throw BSNNError.invalidArgument("\(what): expected sizes >= 0, got \(a) × \(b)")
        }
        let (n, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else {
            throw BSNNError.outOfMemory("\(what): \(a) × \(b) elements overflows a 64-bit size")
        }
        return n
    }

    /// Below this size the allocator's own answer is the check: reading the limits costs
    /// a few file reads, which the small per-step buffers should not pay.
    static let estimateThreshold = 1 << 20

    /// Throws `.outOfMemory` when `bytes` exceeds `availableBytes()`.
    public static func reserve(_ bytes: Int, what: String) throws(BSNNError) {
        guard bytes >= estimateThreshold else { return }
        let available = availableBytes()
        if bytes > available {
            throw BSNNError.outOfMemory(
                "\(what): needs \(bytes) bytes, but only \(available) bytes are available to this process (\(limitingFactor))")
        }
    }

    /// `bytes` of zeroed memory aligned to `alignment` (a power of two ≥ pointer size),
    /// to be released with `free`. The budget check runs first, so an allocation that
    /// would push the machine into swap or the OOM killer is refused up front.
    public static func allocate(bytes: Int, alignment: Int = 64, what: String) throws(BSNNError) -> UnsafeMutableRawPointer {
        try reserve(bytes, what: what)
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, alignment, max(bytes, 1)) == 0, let r = raw else {
            throw BSNNError.outOfMemory("\(what): could not allocate \(bytes) bytes")
        }
        memset(r, 0, max(bytes, 1))
        return r
    }

    /// Checks that an array of `count` elements of `T` can be allocated, so that a Swift
    /// array (or `reserveCapacity`) of that size that follows does not trap: the budget
    /// check, then a trial `malloc` of the same size, returned at once (a large block is
    /// mapped and unmapped without its pages being touched).
    public static func checkArray<T>(of type: T.Type, count: Int, what: String) throws(BSNNError) {
        let bytes = try byteCount(count, elementSize: MemoryLayout<T>.stride, what: what)
        try reserve(bytes, what: what)
        // Swift adds a small header to the element storage.
        let (withHeader, overflow) = bytes.addingReportingOverflow(64)
        guard !overflow, let p = malloc(withHeader) else {
            throw BSNNError.outOfMemory("\(what): could not allocate \(bytes) bytes for \(count) elements")
        }
        free(p)
    }

    /// `[T](repeating:count:)` through the checked path.
    public static func array<T>(repeating value: T, count: Int, what: String) throws(BSNNError) -> [T] {
        try checkArray(of: T.self, count: count, what: what)
        return [T](repeating: value, count: count)
    }

    /// A Swift array copy of `source` (a caller's buffer, a slice) through the checked path.
    public static func array<C: Collection>(copying source: C, what: String) throws(BSNNError) -> [C.Element] {
        try checkArray(of: C.Element.self, count: source.count, what: what)
        return Array(source)
    }

    // MARK: - What is available

    /// An estimate of the bytes this process can still allocate and use: the smallest of
    /// the kernel's MemAvailable plus free swap (`/proc/meminfo`), the address-space
    /// limit minus the current address-space size (`RLIMIT_AS`, `ulimit -v`), and every
    /// enclosing cgroup's memory limit minus its usage (v2 `memory.max`/`memory.current`,
    /// v1 `memory.limit_in_bytes`/`memory.usage_in_bytes`). `Int.max` when none is known.
    public static func availableBytes() -> Int {
        limits().map(\.bytes).min() ?? Int.max
    }

    private static var limitingFactor: String {
        limits().min(by: { $0.bytes < $1.bytes })?.source ?? "no limit known"
    }

    private static func limits() -> [(bytes: Int, source: String)] {
        var out: [(Int, String)] = []
        if let m = memInfoAvailable() { out.append((m, "MemAvailable + SwapFree in /proc/meminfo")) }
        if let a = addressSpaceHeadroom() { out.append((a, "RLIMIT_AS (ulimit -v) minus the current address space")) }
        if let c = cgroupHeadroom() { out.append((c, "cgroup memory limit minus usage")) }
        return out
    }

    private static func memInfoAvailable() -> Int? {
        guard let text = readSmallFile("/proc/meminfo") else { return nil }
        var available: Int?, swapFree = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kib = Int(parts[1]) else { continue }
            if parts[0] == "MemAvailable:" { available = kib.multipliedReportingOverflow(by: 1024).partialValue }
            if parts[0] == "SwapFree:" { swapFree = kib.multipliedReportingOverflow(by: 1024).partialValue }
        }
        guard let a = available else { return nil }
        let (sum, overflow) = a.addingReportingOverflow(swapFree)
        return overflow ? Int.max : sum
    }

    private static func addressSpaceHeadroom() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0,
              limit.rlim_cur != rlim_t.max, limit.rlim_cur <= UInt64(Int.max)
        else { return nil }
        let page = sysconf(Int32(_SC_PAGESIZE))
        guard page > 0, let statm = readSmallFile("/proc/self/statm"),
              let first = statm.split(separator: " ").first, let pages = Int(first)
        else { return Int(limit.rlim_cur) }
        let used = pages.multipliedReportingOverflow(by: page).partialValue
        return max(0, Int(limit.rlim_cur) - used)
    }

    /// The tightest headroom over the process's cgroup and its ancestors: a leaf often
    /// says "max" while a parent (the container) holds the limit.
    private static func cgroupHeadroom() -> Int? {
        guard let text = readSmallFile("/proc/self/cgroup") else { return nil }
        var best: Int?
        func consider(limit: String, usage: String) {
            guard let l = readSmallFile(limit).flatMap({ Int($0.filter { !$0.isWhitespace }) }),
                  let u = readSmallFile(usage).flatMap({ Int($0.filter { !$0.isWhitespace }) })
            else { return }
            // v1 reports "no limit" as a huge page-aligned number, which never wins `min`.
            let headroom = max(0, l - u)
            best = min(best ?? Int.max, headroom)
        }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let path = String(fields[2])
            if fields[0] == "0" && fields[1].isEmpty {
                var dir = path
                while true {
                    let base = "/sys/fs/cgroup" + (dir == "/" ? "" : dir)
                    consider(limit: base + "/memory.max", usage: base + "/memory.current")
                    guard dir != "/", let slash = dir.lastIndex(of: "/") else { break }
                    dir = slash == dir.startIndex ? "/" : String(dir[..<slash])
                }
            } else if fields[1].split(separator: ",").contains("memory") {
                let base = "/sys/fs/cgroup/memory" + (path == "/" ? "" : path)
                consider(limit: base + "/memory.limit_in_bytes", usage: base + "/memory.usage_in_bytes")
            }
        }
        return best
    }

    /// Up to 64 KiB of a text file under /proc or /sys; nil when it cannot be read.
    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = (0..<4096).map { _ in UInt8(0) }
        while bytes.count < 1 << 16 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
