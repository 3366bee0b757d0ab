// libFuzzer target: the C ABI driven by a program read from the input bytes. Each
// instruction is an opcode byte plus operand bytes; handles live in small slot tables
// and are never cleared on free, so later instructions use freed handles on purpose.
// Sizes are capped (width ≤ 48, depth ≤ 4, ≤ 96 samples) so one run stays fast and
// memory stays bounded; the library must answer every call with a status, never trap.
// Some instructions also check a contract and abort (a finding) when it breaks: a
// failing set_weights leaves the weights bit-identical, in-place evaluation equals
// out-of-place evaluation, and changes from inside a progress callback are refused.
import BSNN
import CBSNN
import CBSNNSupport
import CFuzzDriver
import Glibc

private struct Reader {
    var bytes: [UInt8]
    var i = 0
    var done: Bool { i >= bytes.count }
    mutating func u8() -> UInt8 { defer { i += 1 }; return i < bytes.count ? bytes[i] : 0 }
    mutating func int(_ bound: Int) -> Int { Int(u8()) % (bound + 1) }
    /// Mostly ordinary values, sometimes NaN, ±Inf, huge or subnormal ones.
    mutating func float() -> Float {
        let b = u8()
        switch b {
        case 0xF0: return .nan
        case 0xF1: return .infinity
        case 0xF2: return -.infinity
        case 0xF3: return .greatestFiniteMagnitude
        case 0xF4: return .leastNonzeroMagnitude
        default: return (Float(b) - 128) / 32
        }
    }
    mutating func double() -> Double {
        let b = u8()
        switch b {
        case 0xF0: return .nan
        case 0xF1: return .infinity
        case 0xF2: return -1
        case 0xF3: return 1e300
        default: return Double(b) / 256
        }
    }
}

private let scratchDir: String = {
    var template = Array("/tmp/bsnn-fuzz-capi.XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { b in
        guard let base = b.baseAddress, let dir = mkdtemp(base) else { return "/tmp" }
        return String(cString: dir)
    }
}()

private func withCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let s else { return body(nil) }
    return s.withCString { body($0) }
}

private struct ReentryProbe {
    var trainer: OpaquePointer?
    var model: OpaquePointer?
    var data: OpaquePointer?
    var accepted = false
    var calls = 0
}

/// Tries a nested fit, a step and set_weights from inside fit; any of them succeeding
/// breaks the one-change-at-a-time rule.
private let reenterFromProgress: bsnn_progress_fn = { _, user in
    guard let probe = user?.assumingMemoryBound(to: ReentryProbe.self) else { return 0 }
    probe.pointee.calls += 1
    if probe.pointee.calls > 1 { return 1 }
    if CBSNN.bsnn_trainer_fit(probe.pointee.trainer, probe.pointee.data, nil, 1, nil, nil) == 0 { probe.pointee.accepted = true }
    var rows = 0, cols = 0
    if CBSNN.bsnn_model_layer_shape(probe.pointee.model, 0, &rows, &cols) == 0 {
        var w = [Float](repeating: 0, count: rows * cols)
        if CBSNN.bsnn_model_get_weights(probe.pointee.model, 0, &w, w.count) == 0,
           CBSNN.bsnn_model_set_weights(probe.pointee.model, 0, w, w.count) == 0 { probe.pointee.accepted = true }
    }
    return 1
}

@main enum Main {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    var r = Reader(bytes: data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    var activations = [OpaquePointer?](repeating: nil, count: 4)
    var models = [OpaquePointer?](repeating: nil, count: 4)
    var trainers = [OpaquePointer?](repeating: nil, count: 4)
    var datasets = [OpaquePointer?](repeating: nil, count: 4)
    let path = "\(scratchDir)/f\(r.int(3)).st"
    // A file left by an earlier input would make this run depend on it: start clean.
    unlink(path)
    var steps = 0

    while !r.done && steps < 40 {
        steps += 1
        switch r.u8() % 25 {
        case 0: // builtin activation by index (or an unknown name)
            let k = r.int(3)
            let idx = r.int(15)
            var name = "nope\(idx)"
            if let p = CBSNN.bsnn_builtin_name(idx) { name = String(cString: p) }
            var out: OpaquePointer?
            if CBSNN.bsnn_activation_create_builtin(name, nil, nil, 0, &out) == 0 { activations[k] = out }
        case 1: // normalize with any root value
            let k = r.int(3), j = r.int(3)
            var out: OpaquePointer?
            if CBSNN.bsnn_activation_normalize(activations[k], Int32(r.int(4)) - 1, &out) == 0 { activations[j] = out }
        case 2: // model with capped, possibly zero sizes and arbitrary enum values
            var c = bsnn_model_config()
            _ = CBSNN.bsnn_model_config_init_defaults(&c, r.u8() == 0xEF ? r.int(120) : MemoryLayout<bsnn_model_config>.size)
            c.inputs = r.int(24); c.width = r.int(48); c.depth = r.int(4); c.outputs = r.int(10)
            c.activation = activations[r.int(3)]
            c.gpn_root = Int32(r.int(4)) - 1; c.constraint = Int32(r.int(3)); c.`init` = Int32(r.int(3))
            c.bias = Int32(r.int(1)); c.seed = UInt64(r.u8())
            if r.u8() == 0xEE { c.size = 3 }
            var out: OpaquePointer?
            let k = r.int(3)
            if CBSNN.bsnn_model_create(&c, &out) == 0 { models[k] = out }
        case 3: let k = r.int(3); CBSNN.bsnn_model_free(models[k])
        case 4: // trainer with arbitrary hyper-parameters (NaN learning rate included)
            var c = bsnn_training_config()
            _ = CBSNN.bsnn_training_config_init_defaults(&c, r.u8() == 0xEF ? r.int(160) : MemoryLayout<bsnn_training_config>.size)
            c.batch_size = r.int(80); c.loss = Int32(r.int(4)); c.optimizer = Int32(r.int(3))
            c.learning_rate = r.double(); c.momentum = r.double(); c.weight_decay = r.double() / 100
            c.schedule = Int32(r.int(3)); c.schedule_steps = r.int(5); c.schedule_factor = r.double()
            c.update_mode = Int32(r.int(3)); c.shuffle = Int32(r.int(1))
            var out: OpaquePointer?
            let k = r.int(3)
            if CBSNN.bsnn_trainer_create(models[r.int(3)], &c, &out) == 0 { trainers[k] = out }
        case 5: let k = r.int(3); CBSNN.bsnn_trainer_free(trainers[k])
        case 6, 7: // one training step; the buffer length is honest, the count need not match
            let t = trainers[r.int(3)]
            let count = r.int(96), n = r.int(255) * 8
            let x = (0..<n).map { _ in r.float() }
            let labels = (0..<count).map { _ in Int32(Int8(bitPattern: r.u8())) }
            var res = bsnn_step_result()
            let nullOut = r.u8() == 0xEE
            _ = x.withUnsafeBufferPointer { xb in
                labels.withUnsafeBufferPointer { lb in
                    nullOut
                        ? CBSNN.bsnn_trainer_step(t, xb.baseAddress, n, lb.baseAddress, count, nil)
                        : CBSNN.bsnn_trainer_step(r.u8() == 0xEE ? nil : t, xb.baseAddress, n, lb.baseAddress, count, &res)
                }
            }
        case 8: // prediction with independent buffer sizes
            let m = models[r.int(3)]
            let count = r.int(96), n = r.int(255) * 4, o = r.int(255) * 2
            let x = (0..<n).map { _ in r.float() }
            var out = [Float](repeating: 0, count: o)
            _ = x.withUnsafeBufferPointer { xb in
                out.withUnsafeMutableBufferPointer { ob in CBSNN.bsnn_model_predict(m, xb.baseAddress, n, count, ob.baseAddress, o) }
            }
        case 9: // data set; labels may be out of range, values non-finite
            let count = r.int(96), features = r.int(24), classes = r.int(10)
            let (fc, overflow) = count.multipliedReportingOverflow(by: features)
            if overflow { break }
            let x = (0..<fc).map { _ in r.float() }
            let labels = (0..<count).map { _ in Int32(Int8(bitPattern: r.u8())) % 12 }
            var out: OpaquePointer?
            let k = r.int(3)
            if CBSNN.bsnn_dataset_create(x, labels, count, features, classes, &out) == 0 { datasets[k] = out }
        case 10: let k = r.int(3); CBSNN.bsnn_dataset_free(datasets[k])
        case 11:
            var e = bsnn_evaluation()
            _ = CBSNN.bsnn_model_evaluate(models[r.int(3)], datasets[r.int(3)], Int32(r.int(4)), &e)
        case 12: _ = CBSNN.bsnn_trainer_fit(trainers[r.int(3)], datasets[r.int(3)], r.u8() & 1 == 0 ? nil : datasets[r.int(3)], r.int(2), nil, nil)
        case 13: _ = CBSNN.bsnn_model_save(models[r.int(3)], path)
        case 14:
            var out: OpaquePointer?
            let k = r.int(3)
            if CBSNN.bsnn_model_load(r.u8() == 0xEE ? nil : path, 0, &out) == 0 { models[k] = out }
        case 15: _ = CBSNN.bsnn_checkpoint_save(trainers[r.int(3)], path)
        case 16:
            var out: OpaquePointer?
            let k = r.int(3)
            if CBSNN.bsnn_checkpoint_load(path, 0, &out) == 0 { trainers[k] = out }
        case 17: // weights of any layer index with any buffer size
            let m = models[r.int(3)]
            let layer = r.int(8), n = r.int(255) * 4
            var buf = (0..<n).map { _ in r.float() }
            _ = CBSNN.bsnn_model_get_weights(m, layer, &buf, n)
            _ = CBSNN.bsnn_model_set_weights(m, layer, buf, n)
            _ = CBSNN.bsnn_model_set_bias(m, layer, buf, min(n, r.int(48)))
        case 18:
            var out: OpaquePointer?
            let k = r.int(3)
            if CBSNN.bsnn_trainer_model(trainers[r.int(3)], &out) == 0 { models[k] = out }
        case 20: // set_weights with one row made zero or overflowing: all or nothing
            let m = models[r.int(3)]
            let layer = r.int(8)
            var rows = 0, cols = 0
            guard CBSNN.bsnn_model_layer_shape(m, layer, &rows, &cols) == 0, rows * cols > 0 else { break }
            var before = [Float](repeating: 0, count: rows * cols)
            guard CBSNN.bsnn_model_get_weights(m, layer, &before, before.count) == 0 else { break }
            var bad = before.map { $0 * (1 + r.float()) }
            let row = r.int(rows - 1), fill: Float = r.u8() & 1 == 0 ? 0 : 3e38
            for j in 0..<cols { bad[row * cols + j] = fill }
            if CBSNN.bsnn_model_set_weights(m, layer, bad, bad.count) != 0 {
                var after = [Float](repeating: 0, count: rows * cols)
                _ = CBSNN.bsnn_model_get_weights(m, layer, &after, after.count)
                if after.map(\.bitPattern) != before.map(\.bitPattern) { abort() }
            }
        case 21: // in-place evaluation equals out-of-place evaluation (bit for bit)
            let a = activations[r.int(3)]
            let n = 1 + r.int(63)
            var x = (0..<n).map { _ in r.float() }
            var value = [Float](repeating: 0, count: n), slope = value, slopeInPlace = value
            let withSlope = r.u8() & 1 == 0
            let first = value.withUnsafeMutableBufferPointer { v in
                slope.withUnsafeMutableBufferPointer { d in
                    CBSNN.bsnn_activation_evaluate(a, x, n, v.baseAddress, withSlope ? d.baseAddress : nil)
                }
            }
            guard first == 0 else { break }
            let status = x.withUnsafeMutableBufferPointer { xb in
                slopeInPlace.withUnsafeMutableBufferPointer { d in
                    CBSNN.bsnn_activation_evaluate(a, xb.baseAddress, n, xb.baseAddress, withSlope ? d.baseAddress : nil)
                }
            }
            if status != 0 || x.map(\.bitPattern) != value.map(\.bitPattern)
                || slope.map(\.bitPattern) != slopeInPlace.map(\.bitPattern) { abort() }
        case 22: // changes from the trainer's own progress callback are refused
            let t = trainers[r.int(3)], d = datasets[r.int(3)]
            var model: OpaquePointer?
            guard CBSNN.bsnn_trainer_model(t, &model) == 0 else { break }
            var probe = ReentryProbe(trainer: t, model: model, data: d)
            _ = withUnsafeMutablePointer(to: &probe) { CBSNN.bsnn_trainer_fit(t, d, nil, 1, reenterFromProgress, $0) }
            CBSNN.bsnn_model_free(model)
            if probe.accepted { abort() }
        case 23: // a foreign activation (libm), so evaluation covers the foreign kernels
            var out: OpaquePointer?
            let k = r.int(3)
            let symbol = ["erf", "tanh", "atan", "sin"][r.int(3)]
            if CBSNN.bsnn_activation_create_foreign("libm.so.6", symbol, "double(double)", nil, 0, &out) == 0 { activations[k] = out }
        case 24: // feature scaling: statistics read back and applied with any counts and values
            let d = datasets[r.int(3)], n = r.int(12)
            var method: Int32 = 0
            var offsets = (0..<n).map { _ in r.float() }, scales = (0..<n).map { _ in r.float() }
            if r.u8() & 1 == 0 {
                _ = CBSNN.bsnn_dataset_scaling(d, &method, nil, &scales, n)
            } else {
                _ = CBSNN.bsnn_dataset_scaling(d, &method, &offsets, &scales, n)
            }
            var out: OpaquePointer?
            let k = r.int(3)
            if CBSNN.bsnn_dataset_scale(d, Int32(r.int(3)), offsets, scales, n, &out) == 0 { datasets[k] = out }
            let m = r.int(40)
            var features = (0..<m).map { _ in r.float() }
            _ = CBSNN.bsnn_scale_features(offsets, scales, n, &features, m)
            _ = CBSNN.bsnn_model_scaling(models[r.int(3)], &method, &offsets, &scales, n)
        default: // NULL out-pointers and handles everywhere
            _ = CBSNN.bsnn_model_create(nil, nil)
            _ = CBSNN.bsnn_trainer_create(nil, nil, nil)
            _ = CBSNN.bsnn_model_predict(models[r.int(3)], nil, 0, 1, nil, 0)
            var info = bsnn_model_info()
            if r.u8() & 1 == 0 { _ = CBSNN.bsnn_model_info_get(models[r.int(3)], nil) } else { _ = CBSNN.bsnn_model_info_get(models[r.int(3)], &info) }
            _ = CBSNN.bsnn_activation_free(activations[r.int(3)])
        }
    }
    // Slots still hold handles the program freed: freeing them again must be a no-op.
    for p in activations { CBSNN.bsnn_activation_free(p) }
    for p in trainers { CBSNN.bsnn_trainer_free(p) }
    for p in models { CBSNN.bsnn_model_free(p) }
    for p in datasets { CBSNN.bsnn_dataset_free(p) }
    return 0
}
