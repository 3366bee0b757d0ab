import ArgumentParser
import BSNN

// The engine's named options parse as enum flags, so `--help` lists the choices and an
// unknown value is a usage error (exit 64) before anything runs.
extension WeightConstraint: ExpressibleByArgument {}
extension OptimizerKind: ExpressibleByArgument {}
extension Normalization: ExpressibleByArgument {}
extension EarlyStopping.Monitor: ExpressibleByArgument {}

/// `--residual-scale X|learnable`.
extension ResidualScale: ExpressibleByArgument {
    public init?(argument: String) { self.init(text: argument) }
    public var defaultValueDescription: String {
        switch self {
        case .fixed(let a): return String(a)
        case .learnable: return ResidualScale.learnableName
        }
    }
}

/// `--scaling`: the CLI's names of the engine's `FeatureScaling` methods.
enum ScalingChoice: String, ExpressibleByArgument, CaseIterable {
    case none, unit, standardize

    var method: FeatureScaling {
        switch self {
        case .none: return FeatureScaling.none
        case .unit: return .unitInterval
        case .standardize: return .standardize
        }
    }
}

/// `--header`: whether a CSV file's first row is a header.
enum HeaderChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, yes, no

    var header: CSVOptions.Header {
        switch self {
        case .auto: return .auto
        case .yes: return .present
        case .no: return .absent
        }
    }
}

/// `--split` of IDX data.
extension DataSpec.Split: ExpressibleByArgument {}
