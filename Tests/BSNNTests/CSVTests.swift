import XCTest

@testable import BSNN

final class CSVTests: XCTestCase {
    func csv(_ text: String, _ options: CSVOptions? = nil) throws -> Dataset {
        try CSVReader.read(bytes: Array(text.utf8), name: "d.csv", options: options)
    }

    func testHeaderAutoDetectedAndClassification() throws {
        let d = try csv("label,x,y\r\n1, 0.5,-2e1\n\n0,\"3\",4\n2,1.25,0\n")
        XCTAssertEqual(d.count, 3)
        XCTAssertEqual(d.featureCount, 2)
        XCTAssertEqual(d.classCount, 3)
        XCTAssertEqual(d.labels, [1, 0, 2])
        XCTAssertEqual(d.features, [0.5, -20, 3, 4, 1.25, 0])
    }

    func testNoHeaderNegativeLabelColumnAndDelimiter() throws {
        let d = try csv("1;2;3.0\n4;5;0\n", CSVOptions(labelColumn: -1, delimiter: ";", task: .classification(classCount: 5)))
        XCTAssertEqual(d.labels, [3, 0])
        XCTAssertEqual(d.classCount, 5)
        XCTAssertEqual(d.features, [1, 2, 4, 5])
        let forced = try csv("9,9\n1,2\n", CSVOptions(header: .present))
        XCTAssertEqual(forced.count, 1)
        XCTAssertEqual(forced.labels, [1])
    }

    func testRegression() throws {
        let d = try csv("x,y,target\n1,2,0.5\n3,4,-1.5\n", CSVOptions(labelColumn: 2, task: .regression))
        XCTAssertFalse(d.isClassification)
        XCTAssertEqual(d.targets, [0.5, -1.5])
        XCTAssertEqual(d.features, [1, 2, 3, 4])
    }

    func testErrorsNameLineAndColumn() throws {
        assertThrowsKind(formatKind, try csv(""), contains: "empty file")
        assertThrowsKind(formatKind, try csv("\n \n"), contains: "empty file")
        assertThrowsKind(formatKind, try csv("a,b\n"), contains: "after the header")
        assertThrowsKind(formatKind, try csv("1,2,3\n4,5\n"), contains: "line 2: expected 3 columns")
        assertThrowsKind(formatKind, try csv("1,2\n3,abc\n"), contains: "line 2, column 2: expected a number, got 'abc'")
        assertThrowsKind(formatKind, try csv("h1,h2\n1,2\n3,\n"), contains: "line 3, column 2")
        assertThrowsKind(formatKind, try csv("1,2\n3,inf\n"), contains: "finite")
        assertThrowsKind(formatKind, try csv("1.5,2\n"), contains: "line 1, column 1: expected a class label")
        assertThrowsKind(formatKind, try csv("-1,2\n"), contains: "class label")
        assertThrowsKind(formatKind, try csv("3,2\n", CSVOptions(task: .classification(classCount: 2))), contains: "0..<2")
        assertThrowsKind("invalid argument", try csv("1,2\n", CSVOptions(labelColumn: 5)))
        assertThrowsKind("invalid argument", try CSVOptions(delimiter: "\n"))
        assertThrowsKind(formatKind, try csv("1\n2\n"), contains: "at least 2 columns")
        assertThrowsKind(formatKind, try CSVReader.read(bytes: [0x31, 0x2C, 0xFF, 0x0A], name: "d.csv", options: CSVOptions(header: .absent)), contains: "column 2")
    }

    func testFileRead() throws {
        let dir = try makeTempDirectory()
        defer { removeTree(dir) }
        try AtomicFile.write(Array("\u{FEFF}y,a\n1,2\n".utf8), to: dir + "/f.csv")
        XCTAssertEqual(try CSVReader.read(path: dir + "/f.csv").features, [2])
        assertThrowsKind(ioKind, try CSVReader.read(path: dir + "/missing.csv"))
    }

    func testFeatureScalerFitsOnTrainAndAppliesToTest() throws {
        let train = try Dataset(features: [0, 5, 5, 5, 10, 5], labels: [0, 1, 0], featureCount: 2, classCount: 2)
        let test = try Dataset(features: [5, 5], labels: [1], featureCount: 2, classCount: 2)
        let mm = try FeatureScaler.fit(train, method: .unitInterval)
        XCTAssertEqual(try mm.apply(to: train).features, [0, 0, 0.5, 0, 1, 0], "constant column maps to 0")
        XCTAssertEqual(try mm.apply(to: test).features, [0.5, 0])
        let st = try FeatureScaler.fit(train, method: .standardize)
        XCTAssertEqual(st.offsets, [5, 5])
        XCTAssertEqual(st.scales[1], 1, "constant feature gets std 1")
        let z = try st.apply(to: train).features
        XCTAssertEqual(z[0], -Float(5 / (50.0 / 3).squareRoot()), accuracy: 1e-6)
        XCTAssertEqual(z[1], 0)
        XCTAssertEqual(try FeatureScaler.fit(train, method: .none).apply(to: train), train)
        let other = try Dataset(features: [1, 2, 3], labels: [0], featureCount: 3, classCount: 1)
        assertThrowsKind("shape mismatch", try mm.apply(to: other))
    }

    // MARK: Issue 12 item 11

    /// AUTO header mode used to treat a first row with one bad cell as a header and drop
    /// it silently. Only a row of all non-numeric cells is a header now; any other bad
    /// cell is reported with its line and column.
    func testFirstRowWithOneBadCellIsReportedNotDropped() throws {
        assertThrowsKind(formatKind, try csv("1,2.5,3x\n0,1,2\n"), contains: "line 1, column 3: expected a number, got '3x'")
        // U+2212 MINUS SIGN instead of '-'.
        assertThrowsKind(formatKind, try csv("1,\u{2212}2,3\n0,1,2\n"), contains: "line 1, column 2")
        // Invalid UTF-8 in one cell.
        assertThrowsKind(formatKind, try CSVReader.read(bytes: Array("1,".utf8) + [0xC3, 0x28] + Array(",3\n0,1,2\n".utf8), name: "d.csv"),
                         contains: "line 1, column 2")
        let header = try csv("label,x,y\n1,2,3\n")
        XCTAssertEqual(header.count, 1)
        XCTAssertEqual(header.features, [2, 3])
    }

    /// Swift's Float parser stops at a NUL byte, so `1\0junk` used to read as 1.
    func testEmbeddedNULIsAnError() throws {
        let bytes: [UInt8] = Array("0,2\n1,1".utf8) + [0] + Array("junk\n".utf8)
        assertThrowsKind(formatKind, try CSVReader.read(bytes: bytes, name: "d.csv"), contains: "line 2, column 2")
        assertThrowsKind(formatKind, try csv("0,1 2\n"), contains: "line 1, column 2")
    }

    /// Non-finite cells are refused (docs/RELIABILITY.md says so): a NaN feature would
    /// only fail later, at the first training step.
    func testNonFiniteCellsAreRejected() throws {
        for cell in ["nan", "NaN", "inf", "-inf", "infinity", "1e39"] {
            assertThrowsKind(formatKind, try csv("0,1\n1,\(cell)\n"), contains: "line 2, column 2: expected a finite number")
        }
    }

    func testFeatureRowsForPredictionSkipTheLabelColumnOrTakeEveryColumn() throws {
        let o = try CSVOptions(labelColumn: 1, delimiter: ";")
        let labelled = try CSVReader.readFeatures(bytes: Array("a;y;b\n1;0;2\n3;1;4\n".utf8), name: "t", featureCount: 2, options: o)
        XCTAssertEqual(labelled.count, 2)
        XCTAssertEqual(labelled.features, [1, 2, 3, 4])
        let bare = try CSVReader.readFeatures(bytes: Array("1;2\n3;4\n".utf8), name: "t", featureCount: 2, options: o)
        XCTAssertEqual(bare.features, [1, 2, 3, 4])
        assertThrowsKind(formatKind, try CSVReader.readFeatures(bytes: Array("1;2;3;4\n".utf8), name: "t", featureCount: 2, options: o),
                         contains: "expected 2 feature columns (or a label plus 2), got 4")
        assertThrowsKind(formatKind, try CSVReader.readFeatures(bytes: Array("1;0;x\n".utf8), name: "t", featureCount: 2, options: o),
                         contains: "line 1, column 3: expected a number")
    }
}
