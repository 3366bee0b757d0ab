import XCTest

@testable import BSNN

/// A short deterministic mutation run over every parser: each must throw or succeed,
/// never trap. (The long fuzzing campaign lives outside the unit tests.)
final class FuzzSmokeTests: XCTestCase {
    func testMutatedInputsNeverCrash() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let seeds: [[UInt8]] = [
            try SafeTensorsFile(tensors: [.init(name: "w", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])], metadata: ["a": "b"]).serialized(),
            [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4],
            gzipCompress([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]),
            Array("label,x\n1,2.5\n0,-1e3\n".utf8),
            Array(#"{"a":[1,2,{"b":"\u00e9"}],"c":null}"#.utf8),
        ]
        for round in 0..<400 {
            var b = seeds[round % seeds.count]
            for _ in 0..<(1 + next() % 4) {
                guard !b.isEmpty else { break }
                switch next() % 4 {
                case 0: b[next() % b.count] = UInt8(truncatingIfNeeded: next())
                case 1: b.removeSubrange((next() % b.count)...)
                case 2: b.insert(UInt8(truncatingIfNeeded: next()), at: next() % b.count)
                default: b[next() % b.count] ^= UInt8(1 << (next() % 8))
                }
            }
            _ = try? SafeTensorsFile(bytes: b)
            _ = try? IDXReader.read(bytes: b, name: "fuzz")
            _ = try? CSVReader.read(bytes: b, name: "fuzz")
            _ = try? JSONParser.parse(b)
        }
    }
}
