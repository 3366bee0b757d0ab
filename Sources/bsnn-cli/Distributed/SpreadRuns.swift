import BSNN

/// Independent experiment runs (a sweep's cells, Table 2's activation × variant × seed)
/// spread over the processes of a `--distributed mpi` run: process r runs indices r,
/// r + N, r + 2N, … (`jobs` at a time, as `ConcurrentRuns` does alone), then every
/// process receives every result, so all of them go on with the same numbers and rank 0
/// writes the report. A run computes exactly what it computes alone (its own seed, one
/// BLAS thread), so the report equals the serial one.
///
/// Results cross as doubles: `encode` appends a result's, `decode` reads one back from
/// its slice (exact: a double round-trips). A process whose run fails exits with the
/// error, and mpirun ends the others.
enum SpreadRuns {
    static func map<T>(
        count: Int, jobs: Int, over exchange: MPIExchange?, done: ((Int, Int) -> Void)? = nil,
        encode: @escaping (T, inout [Double]) -> Void, decode: @escaping (Int, ArraySlice<Double>) throws -> T,
        _ body: @escaping (Int) throws -> T
    ) throws -> [T] {
        guard let exchange, exchange.processCount > 1 else {
            return try ConcurrentRuns.map(count: count, jobs: jobs, done: done, body)
        }
        let n = exchange.processCount
        let mine = Array(stride(from: exchange.rank, to: count, by: n))
        let local = try ConcurrentRuns.map(count: mine.count, jobs: jobs, done: done.map { d in { k, _ in d(k * n, count) } }) {
            try body(mine[$0])
        }
        // Each result as its length, then its values.
        var sent: [Double] = []
        for r in local {
            var values: [Double] = []
            encode(r, &values)
            sent.append(Double(values.count))
            sent += values
        }
        let received = try exchange.allGather(sent)
        var results = [T?](repeating: nil, count: count)
        for (rank, values) in received.enumerated() {
            var at = values.startIndex
            for index in stride(from: rank, to: count, by: n) {
                guard at < values.endIndex else { throw BSNNError.internal("spread runs: rank \(rank) sent too few results") }
                let length = Int(values[at])
                at += 1
                guard length >= 0, at + length <= values.endIndex else {
                    throw BSNNError.internal("spread runs: rank \(rank) sent a truncated result")
                }
                results[index] = try decode(index, values[at..<(at + length)])
                at += length
            }
        }
        return try results.map { r throws -> T in
            guard let r else { throw BSNNError.internal("spread runs: a run's result is missing") }
            return r
        }
    }
}

/// Reads a result's doubles back in the order they were appended.
struct DoubleReader {
    private var values: ArraySlice<Double>

    init(_ values: ArraySlice<Double>) { self.values = values }

    mutating func next() throws -> Double {
        guard let v = values.popFirst() else { throw BSNNError.internal("spread runs: a result ended early") }
        return v
    }

    mutating func count() throws -> Int {
        let v = try next()
        guard v >= 0, v < Double(Int32.max), v == v.rounded() else { throw BSNNError.internal("spread runs: a bad count \(v)") }
        return Int(v)
    }

    mutating func optional() throws -> Double? {
        let present = try next(), v = try next()
        return present == 1 ? v : nil
    }
}

extension Array where Element == Double {
    /// A present flag then the value (0 for nil), so nil and NaN stay apart.
    mutating func append(optional v: Double?) {
        append(v == nil ? 0 : 1)
        append(v ?? 0)
    }
}
