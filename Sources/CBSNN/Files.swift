// Model files and training checkpoints.
import BSNN
import CBSNNSupport

@_cdecl("bsnn_model_save")
public func bsnn_model_save(_ model: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    guarded("bsnn_model_save") {
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        try ModelFile.save(m, to: try pathArgument(path, "path"))
    }
}

/// `bsnn_load_flags` bits to the engine's load options.
func loadOptions(_ flags: Int32) throws -> ModelFile.LoadOptions {
    let allowPlugins: Int32 = 1, unverified: Int32 = 2
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
