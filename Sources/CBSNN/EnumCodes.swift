import CBSNNSupport

/// The value a C enum constant has in the header's `int32_t` fields, so the shim names
/// `BSNN_OPTIMIZER_ADAM` instead of repeating its number (one definition: bsnn.h).
extension RawRepresentable where RawValue == UInt32 {
    var code: Int32 { Int32(bitPattern: rawValue) }
}
