import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Output paths checked before a long command starts, so a missing or read-only folder
/// is reported at once instead of after the whole run.
enum OutputPath {
    /// Throws `CLIError.io` unless a file can be created at `path` (its folder exists, is
    /// a folder and is writable). `-` (standard output) is always writable.
    static func requireWritable(_ path: String, what: String) throws {
        if path == "-" { return }
        let folder = (path as NSString).deletingLastPathComponent
        let dir = folder.isEmpty ? "." : folder
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) else {
            throw CLIError.io("\(what) '\(path)': folder '\(dir)' does not exist")
        }
        guard isDir.boolValue else { throw CLIError.io("\(what) '\(path)': '\(dir)' is not a folder") }
        guard access(dir, W_OK | X_OK) == 0 else {
            throw CLIError.io("\(what) '\(path)': folder '\(dir)' is not writable")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw CLIError.io("\(what) '\(path)' is a folder")
        }
    }
}
