/// File paths are byte strings on Linux, and need not be UTF-8; Swift `String`s must be.
/// A path is carried through the engine as a `String` in which every byte that is not part
/// of valid UTF-8 (and every byte of a valid sequence for U+10FF80…U+10FFFF, the code
/// points used as escapes) stands as the private-use code point U+10FF00 + byte; every
/// system call takes `cString(path)`, which turns those back into the original bytes. So
/// `cString(string(bytes))` gives `bytes` back exactly, for any bytes without NUL.
public enum FilePathBytes {
    static let escapeBase: UInt32 = 0x10FF00
    static let firstEscape: UInt32 = 0x10FF80

    /// The engine's path for raw path bytes (as given to the C ABI).
    public static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let b = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < b.count {
            let c = b[i]
            if c < 0x80 {
                scalars.append(Unicode.Scalar(c))
                i += 1
                continue
            }
            var length = 0, value: UInt32 = 0, minimum: UInt32 = 0
            switch c {
            case 0xC2...0xDF: length = 2; value = UInt32(c & 0x1F); minimum = 0x80
            case 0xE0...0xEF: length = 3; value = UInt32(c & 0x0F); minimum = 0x800
            case 0xF0...0xF4: length = 4; value = UInt32(c & 0x07); minimum = 0x10000
            default: length = 0
            }
            var valid = length > 0 && i + length <= b.count
            if valid {
                for k in 1..<length {
                    let d = b[i + k]
                    guard d & 0xC0 == 0x80 else { valid = false; break }
                    value = value << 6 | UInt32(d & 0x3F)
                }
            }
            if valid, value >= minimum, value < firstEscape, let s = Unicode.Scalar(value) {
                scalars.append(s)
                i += length
            } else if let escape = Unicode.Scalar(escapeBase + UInt32(c)) {
                scalars.append(escape)
                i += 1
            } else {
                i += 1  // unreachable: U+10FF80…U+10FFFF are scalars
            }
        }
        return String(scalars)
    }

    /// The NUL-terminated bytes for a system call on `path`.
    public static func cString(_ path: String) -> [CChar] {
        var out: [CChar] = []
        out.reserveCapacity(path.utf8.count + 1)
        for s in path.unicodeScalars {
            if s.value >= firstEscape && s.value <= 0x10FFFF {
                out.append(CChar(bitPattern: UInt8(truncatingIfNeeded: s.value - escapeBase)))
            } else {
                for u in String(s).utf8 { out.append(CChar(bitPattern: u)) }
            }
        }
        out.append(0)
        return out
    }
}
