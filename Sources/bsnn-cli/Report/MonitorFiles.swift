import BSNN

/// `bsnn train --monitor-every N`'s outputs: the monitor's records as CSV (one row per
/// record and layer, columns in `SignalQuantity` order, then the record's collapse
/// verdict) and one layer × step heat map per quantity.
struct MonitorFiles {
    /// The CSV; the heat maps are named after it (`run.monitor.csv` → `run.monitor.x_norm.svg`).
    var csvPath: String

    static let header = ["step", "layer"] + SignalQuantity.allCases.map(\.name) + ["collapse"]

    /// Quantities spanning orders of magnitude are coloured by log10.
    static func isLogScale(_ q: SignalQuantity) -> Bool {
        [.forwardNorm, .backwardNorm, .weightGradientNorm].contains(q)
    }

    static func describe(_ q: SignalQuantity) -> String {
        switch q {
        case .forwardNorm: return "mean ‖x‖/√d of the layer's output"
        case .backwardNorm: return "mean ‖y‖ = ‖∂E/∂h‖"
        case .weightGradientNorm: return "‖∂E/∂W‖_F (minibatch)"
        case .derivativeMean: return "mean of a·φ'(h)"
        case .derivativeStandardDeviation: return "standard deviation of a·φ'(h)"
        case .saturatedFraction: return "fraction of units with |a·φ'(h)| < 0.01"
        case .cosineSimilarity: return "mean cosine similarity between samples"
        }
    }

    func svgPath(_ q: SignalQuantity) -> String {
        (csvPath.hasSuffix(".csv") ? String(csvPath.dropLast(4)) : csvPath) + ".\(q.name).svg"
    }

    var paths: [String] { [csvPath] + SignalQuantity.allCases.map(svgPath) }

    func write(_ monitor: TrainingMonitor, title: String) throws {
        var csv = CSVTable(header: Self.header)
        var perQuantity = [[[Double]]](repeating: [], count: SignalQuantity.allCases.count)
        for r in 0..<monitor.count {
            let stats = try monitor.layers(record: r)
            let verdict = monitor.collapses[r].map { Self.token($0) } ?? ""
            for (l, s) in stats.enumerated() {
                csv.add(["\(monitor.steps[r])", "\(l)"] + SignalQuantity.allCases.map { Fmt.full(s.value($0)) } + [verdict])
            }
            for q in SignalQuantity.allCases { perQuantity[q.rawValue].append(stats.map { $0.value(q) }) }
        }
        try csv.write(to: csvPath)
        for q in SignalQuantity.allCases {
            let map = SVGHeatMap(title: "\(title): \(Self.describe(q))", steps: monitor.steps, values: perQuantity[q.rawValue],
                                 logScale: Self.isLogScale(q), valueLabel: q.name)
            try map.write(to: svgPath(q))
        }
    }

    /// The CSV's collapse column: a word and the value that triggered it.
    static func token(_ c: SignalCollapse) -> String {
        switch c {
        case .nonFinite(let l): return "non_finite:layer\(l)"
        case .gradientRatio(let r): return "gradient_ratio:\(Fmt.full(r))"
        case .similarity(let s): return "similarity:\(Fmt.full(s))"
        }
    }
}
