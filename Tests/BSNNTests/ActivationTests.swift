import XCTest
@testable import BSNN
