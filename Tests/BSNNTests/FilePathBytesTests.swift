import XCTest
@testable import BSNN

/// Paths are bytes: every byte string without NUL survives the trip into the engine's
/// `String` and back to the system call unchanged, and valid UTF-8 paths stay readable.
final class FilePathBytesTests: XCTestCase {
    func roundTrip(_ bytes: [UInt8]) -> [UInt8] {
        FilePathBytes.cString(FilePathBytes.string(bytes)).dropLast().map { UInt8(bitPattern: $0) }
    }

    func testEveryByteStringRoundTrips() {
        var rng = RandomGenerator(seed: 1)
        for length in [0, 1, 2, 3, 4, 5, 17, 64] {
            for _ in 0..<500 {
                let bytes = (0..<length).map { _ in UInt8(1 + rng.next() % 255) }
                XCTAssertEqual(roundTrip(bytes), bytes)
            }
        }
        for special: [UInt8] in [[0xFF, 0xFE], [0xF4, 0x8F, 0xBE, 0x80], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82]] {
            XCTAssertEqual(roundTrip(special), special)
        }
    }

    func testUTF8PathsAreUnchanged() {
        for path in ["/tmp/model.safetensors", "données/é€😀.csv", ""] {
            XCTAssertEqual(FilePathBytes.string(Array(path.utf8)), path)
            XCTAssertEqual(FilePathBytes.cString(path), Array(path.utf8CString))
        }
    }
}
