/// xoshiro256** seeded through splitmix64: fast, reproducible on every platform, and its
/// whole state is four words, so checkpoints can store and restore it exactly.
public struct RandomGenerator: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var s = seed
        func splitmix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitmix(&s), splitmix(&s), splitmix(&s), splitmix(&s))
    }

    /// Restores a state captured from `state`; an all-zero state is invalid for xoshiro.
    public init(state: (UInt64, UInt64, UInt64, UInt64)) throws(BSNNError) {
        guard state != (0, 0, 0, 0) else {
            throw BSNNError.invalidArgument("random generator state: expected a non-zero state, got all zeros")
        }
        self.state = state
    }

    public static func == (l: RandomGenerator, r: RandomGenerator) -> Bool { l.state == r.state }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal by Box–Muller (both values of a pair are used, through `spare`).
    public mutating func nextGaussian() -> Double {
        var u1 = nextUniform()
        while u1 <= 0 { u1 = nextUniform() }
        let u2 = nextUniform()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// Fills a buffer with N(0, std²) floats.
    public mutating func fillGaussian(_ buffer: UnsafeMutableBufferPointer<Float>, std: Double = 1) {
        var i = 0
        let n = buffer.count
        while i < n {
            var u1 = nextUniform()
            while u1 <= 0 { u1 = nextUniform() }
            let u2 = nextUniform()
            let r = (-2 * _log(u1)).squareRoot() * std
            buffer[i] = Float(r * _cos(2 * Double.pi * u2))
            if i + 1 < n { buffer[i + 1] = Float(r * _sin(2 * Double.pi * u2)) }
            i += 2
        }
    }

    /// Fisher–Yates shuffle of indices, reproducible for a given state.
    public mutating func shuffle(_ a: inout [Int]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            a.swapAt(i, j)
        }
    }
}
