import CZlib
import Glibc
import XCTest

@testable import BSNN

/// A fresh private directory for one test, removed by `cleanup`.
func makeTempDirectory() throws -> String {
    var template = Array("/tmp/bsnn-io-test-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    guard p != nil else { throw BSNNError.io("mkdtemp failed") }
    return String(cString: template)
}

func removeTree(_ path: String) {
    _ = system("rm -rf '\(path)'")
}

func gzipCompress(_ data: [UInt8]) -> [UInt8] {
    var strm = z_stream()
    // windowBits 15 + 16 asks zlib for a gzip wrapper.
    guard deflateInit2_(&strm, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK
    else { return [] }
    defer { deflateEnd(&strm) }
    var out = [UInt8](repeating: 0, count: Int(deflateBound(&strm, uLong(data.count))) + 64)
    var input = data
    let produced = input.withUnsafeMutableBufferPointer { inp in
        out.withUnsafeMutableBufferPointer { o -> Int in
            strm.next_in = inp.baseAddress
            strm.avail_in = UInt32(inp.count)
            strm.next_out = o.baseAddress
            strm.avail_out = UInt32(o.count)
            guard deflate(&strm, Z_FINISH) == Z_STREAM_END else { return 0 }
            return o.count - Int(strm.avail_out)
        }
    }
    return Array(out.prefix(produced))
}

/// Asserts that `body` throws a BSNNError of the given kind and returns its message.
@discardableResult
func assertThrowsKind<T>(
    _ kind: String, _ body: @autoclosure () throws -> T, contains: String? = nil,
    file: StaticString = #filePath, line: UInt = #line
) -> String? {
    do {
        _ = try body()
        XCTFail("expected a \(kind) error, got success", file: file, line: line)
        return nil
    } catch let e as BSNNError {
        XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
        if let c = contains {
            XCTAssertTrue(e.message.contains(c), "message '\(e.message)' lacks '\(c)'", file: file, line: line)
        }
        return e.message
    } catch {
        XCTFail("expected BSNNError, got \(error)", file: file, line: line)
        return nil
    }
}

let formatKind = "bad file format"
let ioKind = "I/O error"
