@preconcurrency import CFFI

/// A libffi call interface for one foreign function, prepared once and reused for every
/// call (re-preparing per call would cost more than the call). Immutable after init, so
/// calls from several threads at once are safe as far as bsnn is concerned.
/// Unchecked Sendable: the prepared `ffi_cif`, argument types and bound values are never
/// written after init (each call passes x from its own stack); `ffi_call` only reads them.
final class ForeignCallInterface: @unchecked Sendable {
    let signature: ForeignSignature
    private let cif: UnsafeMutablePointer<ffi_cif>
    private let argumentTypes: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>
    /// 8 bytes per argument; slot 0 (x) unused, the rest hold the bound values already
    /// converted to their C type.
    private let bound: UnsafeMutableRawPointer
    private let function: @convention(c) () -> Void
    private let argumentCount: Int

    init(symbol: UnsafeMutableRawPointer, signature: ForeignSignature, boundValues: [Double], name: String) throws(BSNNError) {
        self.signature = signature
        argumentCount = signature.argumentTypes.count
        function = unsafeBitCast(symbol, to: (@convention(c) () -> Void).self)
        cif = .allocate(capacity: 1)
        cif.initialize(to: ffi_cif())
        argumentTypes = .allocate(capacity: argumentCount)
        bound = .allocate(byteCount: 8 * argumentCount, alignment: 8)
        bound.initializeMemory(as: UInt64.self, repeating: 0, count: argumentCount)
        for (i, t) in signature.argumentTypes.enumerated() {
            argumentTypes[i] = Self.ffiType(t)
            if i > 0 {
                switch t {
                case .double: bound.storeBytes(of: boundValues[i - 1], toByteOffset: 8 * i, as: Double.self)
                case .float: bound.storeBytes(of: Float(boundValues[i - 1]), toByteOffset: 8 * i, as: Float.self)
                }
            }
        }
        let status = ffi_prep_cif(
            cif, bsnn_ffi_default_abi(), UInt32(argumentCount), Self.ffiType(signature.returnType), argumentTypes)
        guard status == FFI_OK else {
            cif.deallocate()
            argumentTypes.deallocate()
            bound.deallocate()
            throw BSNNError.plugin(
                "libffi could not prepare a call to '\(name)' with signature \(signature) (ffi_prep_cif status \(status.rawValue))")
        }
    }

    deinit {
        cif.deallocate()
        argumentTypes.deallocate()
        bound.deallocate()
    }

    private static func ffiType(_ t: ForeignScalarType) -> UnsafeMutablePointer<ffi_type> {
        switch t {
        case .double: return bsnn_ffi_type_double()
        case .float: return bsnn_ffi_type_float()
        }
    }

    /// f(x, bound…) in double. Argument pointers live on the stack, so concurrent calls
    /// share nothing mutable.
    func call(_ x: Double) -> Double {
        var xd = x
        var xf = Float(x)
        var result: UInt64 = 0  // ≥ sizeof(ffi_arg), as ffi_call requires
        let n = argumentCount
        return withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer?.self, capacity: n) { values in
            withUnsafeMutableBytes(of: &xd) { xdp in
                withUnsafeMutableBytes(of: &xf) { xfp in
                    withUnsafeMutableBytes(of: &result) { rp in
                        values[0] = signature.argumentTypes[0] == .double ? xdp.baseAddress : xfp.baseAddress
                        for i in 1..<n { values[i] = bound + 8 * i }
                        ffi_call(cif, function, rp.baseAddress, values.baseAddress)
                        switch signature.returnType {
                        case .double: return rp.load(as: Double.self)
                        case .float: return Double(rp.load(as: Float.self))
                        }
                    }
                }
            }
        }
    }
}
