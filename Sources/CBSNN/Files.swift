// Model files and training checkpoints.
import BSNN
import CBSNNSupport
import Glibc

@_cdecl("bsnn_model_save")
public func bsnn_model_save(_ model: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    guarded("bsnn_model_save") {
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        try ModelFile.save(m, to: try pathArgument(path, "path"))
    }
}

/// `bsnn_load_flags` bits to the engine's load options.
func loadOptions(_ flags: Int32) throws -> ModelFile.LoadOptions {
    let allowPlugins = BSNN_LOAD_ALLOW_PLUGINS.code, unverified = BSNN_LOAD_UNVERIFIED.code
    guard flags & ~(allowPlugins | unverified) == 0 else {
        throw invalid("flags: expected BSNN_LOAD_* bits (1, 2), got \(flags)")
    }
    return ModelFile.LoadOptions(allowPlugins: flags & allowPlugins != 0, allowUnverified: flags & unverified != 0)
}

@_cdecl("bsnn_model_load")
public func bsnn_model_load(
    _ path: UnsafePointer<CChar>?, _ flags: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_model_load") {
        let o = try outPointer(out)
        let p = try pathArgument(path, "path")
        publish(ModelBox(try ModelFile.load(p, options: try loadOptions(flags))), o)
    }
}

@_cdecl("bsnn_checkpoint_save")
public func bsnn_checkpoint_save(_ trainer: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    guarded("bsnn_checkpoint_save") {
        let t = try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer
        try Checkpoint.save(t, to: try pathArgument(path, "path"))
    }
}

@_cdecl("bsnn_checkpoint_load")
public func bsnn_checkpoint_load(
    _ path: UnsafePointer<CChar>?, _ flags: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_checkpoint_load") {
        let o = try outPointer(out)
        let p = try pathArgument(path, "path")
        publish(TrainerBox(try Checkpoint.load(p, options: try loadOptions(flags))), o)
    }
}

// MARK: - The same files in memory (copies, pickling)

/// Hands `bytes` to the caller in memory it releases with `bsnn_buffer_free`.
func publishBytes(
    _ bytes: [UInt8], _ outData: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ outSize: UnsafeMutablePointer<Int>
) throws {
    let p = try MemoryBudget.allocate(bytes: bytes.count, alignment: 16, what: "serialized buffer")
    bytes.withUnsafeBytes { src in
        if let base = src.baseAddress { p.copyMemory(from: base, byteCount: src.count) }
    }
    outData.pointee = p
    outSize.pointee = bytes.count
}

/// The caller's `size` bytes at `data`, copied (validated before they are read).
func callerBytes(_ data: UnsafeRawPointer?, _ byteCount: Int) throws -> [UInt8] {
    let n = try size(byteCount, "size")
    return try MemoryBudget.array(copying: try buffer(data?.assumingMemoryBound(to: UInt8.self), n, "data"), what: "data")
}

@_cdecl("bsnn_model_save_buffer")
public func bsnn_model_save_buffer(
    _ model: OpaquePointer?, _ outData: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ outSize: UnsafeMutablePointer<Int>?
) -> Int32 {
    guarded("bsnn_model_save_buffer") {
        let od = try outPointer(outData, "out_data"), os = try outPointer(outSize, "out_size")
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        try publishBytes(try ModelFile.encode(m), od, os)
    }
}

@_cdecl("bsnn_model_load_buffer")
public func bsnn_model_load_buffer(
    _ data: UnsafeRawPointer?, _ byteCount: Int, _ flags: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_model_load_buffer") {
        let o = try outPointer(out)
        let options = try loadOptions(flags)
        publish(ModelBox(try ModelFile.decode(try callerBytes(data, byteCount), options: options)), o)
    }
}

@_cdecl("bsnn_checkpoint_save_buffer")
public func bsnn_checkpoint_save_buffer(
    _ trainer: OpaquePointer?, _ outData: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, _ outSize: UnsafeMutablePointer<Int>?
) -> Int32 {
    guarded("bsnn_checkpoint_save_buffer") {
        let od = try outPointer(outData, "out_data"), os = try outPointer(outSize, "out_size")
        let t = try Handles.lookup(trainer, TrainerBox.self, "trainer").trainer
        try publishBytes(try Checkpoint.encode(t), od, os)
    }
}

@_cdecl("bsnn_checkpoint_load_buffer")
public func bsnn_checkpoint_load_buffer(
    _ data: UnsafeRawPointer?, _ byteCount: Int, _ flags: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    guarded("bsnn_checkpoint_load_buffer") {
        let o = try outPointer(out)
        let options = try loadOptions(flags)
        publish(TrainerBox(try Checkpoint.decode(try callerBytes(data, byteCount), options: options)), o)
    }
}

@_cdecl("bsnn_buffer_free")
public func bsnn_buffer_free(_ data: UnsafeMutableRawPointer?) { free(data) }
