import BSNN
import CBSNNMPIClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `--distributed mpi`: libbsnn_mpi, loaded at run time (so the command works without
/// MPI installed until the flag is used), as the engine's `GradientExchange`.
/// The library is `$BSNN_MPI_LIBRARY` when set, else `libbsnn_mpi.so` on the loader's
/// path (scripts/install.sh installs it where MPI is present).
final class MPIExchange: GradientExchange {
    let processCount: Int
    let rank: Int
    private let mpi: OpaquePointer
    private var callbacks = bsnn_gradient_exchange()
    private let errorMessage: cbsnn_mpi_error_message_fn
    private let statsFunction: cbsnn_mpi_stats_fn
    private let anyFunction: cbsnn_mpi_any_fn
    private let barrierFunction: cbsnn_mpi_barrier_fn
    private let allgatherFunction: cbsnn_mpi_allgather_fn
    private let releaseFunction: cbsnn_mpi_release_fn
    private let freeFunction: cbsnn_mpi_free_fn
    private var freed = false

    static var libraryPath: String { ProcessInfo.processInfo.environment["BSNN_MPI_LIBRARY"] ?? "libbsnn_mpi.so" }

    init() throws {
        let path = Self.libraryPath
        guard let handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw CLIError.usage(
                "--distributed mpi: cannot load \(path) (\(reason)); build it with `make -C mpi` where MPI is installed and set BSNN_MPI_LIBRARY to it, or install bsnn with scripts/install.sh on such a machine")
        }
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let p = dlsym(handle, name) else { throw CLIError.usage("--distributed mpi: \(path) lacks \(name): not a libbsnn_mpi") }
            return unsafeBitCast(p, to: type)
        }
        let create = try symbol("bsnn_mpi_create_world", as: cbsnn_mpi_create_world_fn.self)
        let exchange = try symbol("bsnn_mpi_exchange", as: cbsnn_mpi_exchange_fn.self)
        errorMessage = try symbol("bsnn_mpi_error_message", as: cbsnn_mpi_error_message_fn.self)
        statsFunction = try symbol("bsnn_mpi_stats", as: cbsnn_mpi_stats_fn.self)
        anyFunction = try symbol("bsnn_mpi_any", as: cbsnn_mpi_any_fn.self)
        barrierFunction = try symbol("bsnn_mpi_barrier", as: cbsnn_mpi_barrier_fn.self)
        allgatherFunction = try symbol("bsnn_mpi_allgather", as: cbsnn_mpi_allgather_fn.self)
        releaseFunction = try symbol("bsnn_mpi_release", as: cbsnn_mpi_release_fn.self)
        freeFunction = try symbol("bsnn_mpi_free", as: cbsnn_mpi_free_fn.self)
        var created: OpaquePointer?
        let rc = create(nil, nil, &created)
        guard rc == 0, let m = created else { throw BSNNError.io("--distributed mpi: MPI_Init failed (MPI error \(rc))") }
        mpi = m
        exchange(m, &callbacks)
        let filled: [Any?] = [callbacks.start, callbacks.finish, callbacks.agree, callbacks.all_match_rank_zero]
        guard filled.allSatisfy({ $0 != nil }) else {
            throw CLIError.usage("--distributed mpi: \(path)'s bsnn_mpi_exchange left a callback NULL: not a libbsnn_mpi")
        }
        processCount = Int(callbacks.process_count)
        rank = Int(callbacks.rank)
    }

    private func check(_ rc: Int32, _ what: String) throws(BSNNError) {
        guard rc == 0 else {
            throw BSNNError.io("--distributed mpi: \(what) failed: \(errorMessage(mpi).map { String(cString: $0) } ?? "no message")")
        }
    }

    func start(bucket: Int, buffer: UnsafeMutablePointer<Float>, count: Int) throws(BSNNError) {
        try check(callbacks.start(callbacks.user_data, Int32(bucket), buffer, count), "a gradient all-reduce")
    }

    func finish(bucket: Int) throws(BSNNError) {
        try check(callbacks.finish(callbacks.user_data, Int32(bucket)), "waiting for a gradient all-reduce")
    }

    func agree(status: StepStatus) throws(BSNNError) -> StepStatus {
        var agreed: Int32 = StepStatus.failed.rawValue
        try check(callbacks.agree(callbacks.user_data, status.rawValue, &agreed), "the step-status all-reduce")
        return StepStatus(rawValue: agreed) ?? .failed
    }

    func allMatchRankZero(_ value: UInt64) throws(BSNNError) -> Bool {
        var match: Int32 = 0
        try check(callbacks.all_match_rank_zero(callbacks.user_data, value, &match), "the model-checksum comparison")
        return match == 1
    }

    /// Whether any process asks to stop (a collective: every process calls it each step).
    func anyProcess(_ flag: Bool) throws -> Bool {
        var any: Int32 = 0
        try check(anyFunction(mpi, flag ? 1 : 0, &any), "the stop-request all-reduce")
        return any != 0
    }

    /// Waits until every process gets here (after rank 0 wrote a checkpoint: a process
    /// that exits non-zero first makes mpirun end the others, possibly mid-write).
    func barrier() throws {
        try check(barrierFunction(mpi), "the barrier")
    }

    /// Every process's `values`, in rank order, on every process.
    func allGather(_ values: [Double]) throws -> [[Double]] {
        var counts = [Int](repeating: 0, count: processCount)
        var all: UnsafeMutablePointer<Double>?
        try values.withUnsafeBufferPointer { v in
            try counts.withUnsafeMutableBufferPointer { c in
                try check(allgatherFunction(mpi, v.baseAddress, v.count, &all, c.baseAddress), "gathering the runs' results")
            }
        }
        defer { releaseFunction(all) }
        var out: [[Double]] = [], at = 0
        for n in counts {
            out.append(all.map { Array(UnsafeBufferPointer(start: $0 + at, count: n)) } ?? [])
            at += n
        }
        return out
    }

    /// Seconds waited for all-reduces (not hidden behind the backward pass), bytes summed.
    var statistics: (waitSeconds: Double, bytes: UInt64, steps: UInt64) {
        var w = 0.0, b: UInt64 = 0, s: UInt64 = 0
        statsFunction(mpi, &w, &b, &s)
        return (w, b, s)
    }

    /// Frees the communicator and finalizes MPI (once).
    func close() {
        guard !freed else { return }
        freed = true
        freeFunction(mpi)
    }
}
