// Models: creation from bsnn_model_config, parameters in caller buffers, prediction and
// evaluation. A model handle is one reference to the network; trainers hold others.
import BSNN
import CBSNNSupport

func constraintCode(_ constraint: WeightConstraint) -> Int32 {
    switch constraint {
    case .none: return BSNN_CONSTRAINT_NONE.code
    case .rowNormalized: return BSNN_CONSTRAINT_ROW_NORM.code
    case .orthogonal: return BSNN_CONSTRAINT_ORTHOGONAL.code
    }
}

func initializationCode(_ initialization: WeightInitialization) -> Int32 {
    switch initialization {
    case .orthogonal: return BSNN_INIT_ORTHOGONAL.code
    case .xavier: return BSNN_INIT_XAVIER.code
    case .he: return BSNN_INIT_HE.code
    }
}

func normalizationCode(_ n: Normalization) -> Int32 {
    switch n {
    case .none: return BSNN_NORM_NONE.code
    case .batch: return BSNN_NORM_BATCH.code
    case .layer: return BSNN_NORM_LAYER.code
    }
}

func normalization(_ raw: Int32, _ argument: String) throws -> Normalization {
    switch raw {
    case BSNN_NORM_NONE.code: return .none
    case BSNN_NORM_BATCH.code: return .batch
    case BSNN_NORM_LAYER.code: return .layer
    default: throw invalid("\(argument): expected BSNN_NORM_NONE (0), BATCH (1) or LAYER (2), got \(raw)")
    }
}

/// The engine's `MLPConfiguration` defaults in C terms (GPN on with the default root).
func modelDefaults() -> bsnn_model_config {
    var c = bsnn_model_config()
    c.size = MemoryLayout<bsnn_model_config>.size
    c.activation = nil
    c.gpn_root = MLPConfiguration.defaultGPN ? BSNN_GPN_DEFAULT.code : BSNN_GPN_NONE.code
    c.constraint = constraintCode(MLPConfiguration.defaultConstraint)
    c.`init` = initializationCode(MLPConfiguration.defaultInitialization)
    c.bias = MLPConfiguration.defaultBias ? 1 : 0
    c.seed = MLPConfiguration.defaultSeed
    c.scaling = BSNN_SCALING_NONE.code
    c.scaling_offsets = nil
    c.scaling_scales = nil
    c.norm = normalizationCode(MLPConfiguration.defaultNormalization)
    c.norm_momentum = MLPConfiguration.defaultNormalizationMomentum
    c.norm_epsilon = MLPConfiguration.defaultNormalizationEpsilon
    c.residual = MLPConfiguration.defaultResidual ? 1 : 0
    c.residual_scale = residualScaleValue(MLPConfiguration.defaultResidualScale)
    c.dropout = MLPConfiguration.defaultDropout
    return c
}

/// C's residual_scale: a fixed α, or NaN for a learnable one.
func residualScaleValue(_ scale: ResidualScale) -> Double {
    switch scale {
    case .fixed(let a): return a
    case .learnable: return .nan
    }
}

func residualScale(_ value: Double) -> ResidualScale { value.isNaN ? .learnable : .fixed(value) }

/// sizeof(bsnn_model_config) in 0.1, the smallest size accepted.
let modelConfigSize01 = structSize(through: \bsnn_model_config.seed)

func lossFunction(_ raw: Int32, _ argument: String) throws -> LossFunction {
    switch raw {
    case BSNN_LOSS_CROSS_ENTROPY.code: return .crossEntropy
    case BSNN_LOSS_MSE.code: return .meanSquaredError
    case BSNN_LOSS_BINARY_LOGISTIC.code: return .binaryLogistic
    case BSNN_LOSS_HUBER.code: return .huber
    default: throw invalid("\(argument): expected a bsnn_loss (0...3), got \(raw)")
    }
}

@_cdecl("bsnn_model_config_init_defaults")
public func bsnn_model_config_init_defaults(_ config: UnsafeMutablePointer<bsnn_model_config>?, _ size: Int) -> Int32 {
    guarded("bsnn_model_config_init_defaults") {
        try initConfig(config, size, defaults: modelDefaults(), minimum: modelConfigSize01, structName: "bsnn_model_config")
    }
}

@_cdecl("bsnn_model_create")
public func bsnn_model_create(_ config: UnsafePointer<bsnn_model_config>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("bsnn_model_create") {
        let o = try outPointer(out)
        guard config != nil else { throw invalid("config: expected a bsnn_model_config, got NULL") }
        let c = try readConfig(
            config, defaults: modelDefaults(), minimum: modelConfigSize01, structName: "bsnn_model_config", argument: "config")
        let box = try Handles.lookup(c.activation, ActivationBox.self, "config->activation")
        let choice = try gpnChoice(c.gpn_root, "config->gpn_root")
        let activation: LayerActivation
        if box.value.isGPN {
            if case .normalized(nil) = choice {
                activation = box.value
            } else {
                guard case .normalized(let r?) = choice, r.rawValue == box.value.gpnRoot else {
                    throw invalid(
                        "config->gpn_root: the activation is already GPN-normalized with \(box.value.gpnRoot ?? "?"); expected the same root or BSNN_GPN_DEFAULT, got \(c.gpn_root)")
                }
                activation = box.value
            }
        } else if case .normalized(let r) = choice {
            activation = try LayerActivation.make(box.value.base, gpn: true, root: r)
        } else {
            activation = box.value
        }
        let constraint: WeightConstraint
        switch c.constraint {
        case BSNN_CONSTRAINT_NONE.code: constraint = .none
        case BSNN_CONSTRAINT_ROW_NORM.code: constraint = .rowNormalized
        case BSNN_CONSTRAINT_ORTHOGONAL.code: constraint = .orthogonal
        default: throw invalid("config->constraint: expected BSNN_CONSTRAINT_NONE (0), ROW_NORM (1) or ORTHOGONAL (2), got \(c.constraint)")
        }
        let initialization: WeightInitialization
        switch c.`init` {
        case BSNN_INIT_ORTHOGONAL.code: initialization = .orthogonal
        case BSNN_INIT_XAVIER.code: initialization = .xavier
        case BSNN_INIT_HE.code: initialization = .he
        default: throw invalid("config->init: expected BSNN_INIT_ORTHOGONAL (0), XAVIER (1) or HE (2), got \(c.`init`)")
        }
        let configuration = MLPConfiguration(
            inputs: try size(c.inputs, "config->inputs"), width: try size(c.width, "config->width"),
            depth: try size(c.depth, "config->depth"), outputs: try size(c.outputs, "config->outputs"),
            activation: activation, constraint: constraint, initialization: initialization, bias: c.bias != 0,
            seed: c.seed,
            featureScaler: try importScaler(c.scaling, c.scaling_offsets, c.scaling_scales, c.inputs, "config->scaling_"),
            normalization: try normalization(c.norm, "config->norm"), normalizationMomentum: c.norm_momentum,
            normalizationEpsilon: c.norm_epsilon,
            residual: c.residual != 0, residualScale: residualScale(c.residual_scale), dropout: c.dropout)
        publish(ModelBox(try MLP(configuration)), o)
    }
}

@_cdecl("bsnn_model_free")
public func bsnn_model_free(_ model: OpaquePointer?) { Handles.release(model, ModelBox.self) }

@_cdecl("bsnn_model_info_get")
public func bsnn_model_info_get(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<bsnn_model_info>?) -> Int32 {
    guarded("bsnn_model_info_get") {
        let o = try outPointer(out)
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let c = m.configuration
        o.pointee = bsnn_model_info(
            inputs: c.inputs, width: c.width, depth: c.depth, outputs: c.outputs, layer_count: m.layerCount,
            parameter_count: m.parameterCount, bias: c.bias ? 1 : 0, gpn_root: rootCode(c.activation.gpnRoot))
    }
}

@_cdecl("bsnn_model_normalization")
public func bsnn_model_normalization(
    _ model: OpaquePointer?, _ outNorm: UnsafeMutablePointer<Int32>?, _ outMomentum: UnsafeMutablePointer<Double>?,
    _ outEpsilon: UnsafeMutablePointer<Double>?
) -> Int32 {
    guarded("bsnn_model_normalization") {
        let o = try outPointer(outNorm)
        let c = try Handles.lookup(model, ModelBox.self, "model").model.configuration
        o.pointee = normalizationCode(c.normalization)
        outMomentum?.pointee = c.normalizationMomentum
        outEpsilon?.pointee = c.normalizationEpsilon
    }
}

@_cdecl("bsnn_model_parameter_count")
public func bsnn_model_parameter_count(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<Int>?) -> Int32 {
    guarded("bsnn_model_parameter_count") {
        let o = try outPointer(out)
        o.pointee = try Handles.lookup(model, ModelBox.self, "model").model.parameterCount
    }
}

func layerIndex(_ m: MLP, _ layer: Int) throws -> Int {
    guard layer >= 0, layer < m.layerCount else {
        throw invalid("layer: expected 0..<\(m.layerCount) (0 = input layer, \(m.layerCount - 1) = output layer), got \(UInt(bitPattern: layer))")
    }
    return layer
}

@_cdecl("bsnn_model_layer_shape")
public func bsnn_model_layer_shape(
    _ model: OpaquePointer?, _ layer: Int, _ outOutputs: UnsafeMutablePointer<Int>?, _ outInputs: UnsafeMutablePointer<Int>?
) -> Int32 {
    guarded("bsnn_model_layer_shape") {
        let oo = try outPointer(outOutputs, "out_outputs"), oi = try outPointer(outInputs, "out_inputs")
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let s = try m.weightShape(layer: try layerIndex(m, layer))
        oo.pointee = s.outputs
        oi.pointee = s.inputs
    }
}

@_cdecl("bsnn_model_get_weights")
public func bsnn_model_get_weights(_ model: OpaquePointer?, _ layer: Int, _ buf: UnsafeMutablePointer<Float>?, _ count: Int) -> Int32 {
    guarded("bsnn_model_get_weights") {
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let l = try layerIndex(m, layer)
        let s = try m.weightShape(layer: l)
        try expectCount(try size(count, "count"), s.outputs * s.inputs, "count", "\(s.outputs) × \(s.inputs) weights of layer \(l)")
        let dst = try mutableBuffer(buf, s.outputs * s.inputs, "buffer")
        _ = dst.initialize(from: try m.weights(layer: l))
    }
}

@_cdecl("bsnn_model_get_effective_weights")
public func bsnn_model_get_effective_weights(_ model: OpaquePointer?, _ layer: Int, _ buf: UnsafeMutablePointer<Float>?, _ count: Int) -> Int32 {
    guarded("bsnn_model_get_effective_weights") {
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let l = try layerIndex(m, layer)
        let s = try m.weightShape(layer: l)
        try expectCount(try size(count, "count"), s.outputs * s.inputs, "count", "\(s.outputs) × \(s.inputs) weights of layer \(l)")
        let dst = try mutableBuffer(buf, s.outputs * s.inputs, "buffer")
        _ = dst.initialize(from: try m.effectiveWeights(layer: l))
    }
}

@_cdecl("bsnn_model_activation")
public func bsnn_model_activation(_ model: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    guarded("bsnn_model_activation") {
        let o = try outPointer(out)
        publish(ActivationBox(try Handles.lookup(model, ModelBox.self, "model").model.configuration.activation), o)
    }
}

@_cdecl("bsnn_model_set_weights")
public func bsnn_model_set_weights(_ model: OpaquePointer?, _ layer: Int, _ values: UnsafePointer<Float>?, _ count: Int) -> Int32 {
    guarded("bsnn_model_set_weights") {
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let l = try layerIndex(m, layer)
        let s = try m.weightShape(layer: l)
        try expectCount(try size(count, "count"), s.outputs * s.inputs, "count", "\(s.outputs) × \(s.inputs) weights of layer \(l)")
        try m.setWeights(layer: l, try MemoryBudget.array(copying: try buffer(values, s.outputs * s.inputs, "values"), what: "values"))
    }
}

@_cdecl("bsnn_model_get_regularization")
public func bsnn_model_get_regularization(
    _ model: OpaquePointer?, _ residual: UnsafeMutablePointer<Int32>?, _ scale: UnsafeMutablePointer<Double>?,
    _ dropout: UnsafeMutablePointer<Double>?
) -> Int32 {
    guarded("bsnn_model_get_regularization") {
        let c = try Handles.lookup(model, ModelBox.self, "model").model.configuration
        residual?.pointee = c.residual ? 1 : 0
        scale?.pointee = residualScaleValue(c.residualScale)
        dropout?.pointee = c.dropout
    }
}

@_cdecl("bsnn_model_get_residual_scale")
public func bsnn_model_get_residual_scale(_ model: OpaquePointer?, _ layer: Int, _ out: UnsafeMutablePointer<Float>?) -> Int32 {
    guarded("bsnn_model_get_residual_scale") {
        let o = try outPointer(out)
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let l = try layerIndex(m, layer)
        guard let a = try m.residualScale(layer: l) else {
            throw BSNNError.wrongState("model: layer \(l) has no residual link (residual links are on layers 1...\(m.depth) of a model created with residual = 1)")
        }
        o.pointee = a
    }
}

@_cdecl("bsnn_model_get_bias")
public func bsnn_model_get_bias(_ model: OpaquePointer?, _ layer: Int, _ buf: UnsafeMutablePointer<Float>?, _ count: Int) -> Int32 {
    guarded("bsnn_model_get_bias") {
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let l = try layerIndex(m, layer)
        guard let b = try m.bias(layer: l) else {
            throw BSNNError.wrongState("model: layer \(l) has no bias (the model was created with bias = 0)")
        }
        try expectCount(try size(count, "count"), b.count, "count", "bias values of layer \(l)")
        _ = try mutableBuffer(buf, b.count, "buffer").initialize(from: b)
    }
}

@_cdecl("bsnn_model_set_bias")
public func bsnn_model_set_bias(_ model: OpaquePointer?, _ layer: Int, _ values: UnsafePointer<Float>?, _ count: Int) -> Int32 {
    guarded("bsnn_model_set_bias") {
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let l = try layerIndex(m, layer)
        let outputs = try m.weightShape(layer: l).outputs
        try expectCount(try size(count, "count"), outputs, "count", "bias values of layer \(l)")
        try m.setBias(layer: l, try MemoryBudget.array(copying: try buffer(values, outputs, "values"), what: "values"))
    }
}

@_cdecl("bsnn_model_predict")
public func bsnn_model_predict(
    _ model: OpaquePointer?, _ features: UnsafePointer<Float>?, _ featuresCount: Int, _ count: Int,
    _ output: UnsafeMutablePointer<Float>?, _ outputCount: Int
) -> Int32 {
    guarded("bsnn_model_predict") {
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let c = m.configuration
        let n = try size(count, "count")
        guard n > 0 else { throw invalid("count: expected > 0 samples, got 0") }
        let inCount = try product(n, c.inputs, "count × inputs"), outCount = try product(n, c.outputs, "count × outputs")
        try expectCount(try size(featuresCount, "features_count"), inCount, "features_count", "count × inputs = \(n) × \(c.inputs)")
        try expectCount(try size(outputCount, "output_count"), outCount, "output_count", "count × outputs = \(n) × \(c.outputs)")
        let f = try buffer(features, inCount, "features")
        let o = try mutableBuffer(output, outCount, "output")
        guard let fb = f.baseAddress, let ob = o.baseAddress else { throw BSNNError.internal("empty buffers") }
        try m.predict(fb, count: n, into: ob)
    }
}

@_cdecl("bsnn_model_evaluate")
public func bsnn_model_evaluate(
    _ model: OpaquePointer?, _ data: OpaquePointer?, _ loss: Int32, _ out: UnsafeMutablePointer<bsnn_evaluation>?
) -> Int32 {
    guarded("bsnn_model_evaluate") {
        let o = try outPointer(out)
        let m = try Handles.lookup(model, ModelBox.self, "model").model
        let d = try Handles.lookup(data, DatasetBox.self, "data").data
        let e = try m.evaluate(d, loss: try lossFunction(loss, "loss"))
        o.pointee = bsnn_evaluation(loss: e.loss, accuracy: e.accuracy, count: e.count)
    }
}

@_cdecl("bsnn_model_release_workspace")
public func bsnn_model_release_workspace(_ model: OpaquePointer?) -> Int32 {
    guarded("bsnn_model_release_workspace") { try Handles.lookup(model, ModelBox.self, "model").model.releaseWorkspace() }
}
