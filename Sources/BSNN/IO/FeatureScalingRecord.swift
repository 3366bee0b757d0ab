/// The feature scaling a model was trained with, in its file's metadata under
/// `bsnn.feature_scaling`: `{"method": "standardize", "offsets": [...], "scales": [...]}`
/// with one number per input. Numbers are written in Swift's shortest round-tripping
/// form of the Float widened to Double, so reading them back gives the same Floats and a
/// prediction on raw features replays the training arithmetic exactly. Models trained on
/// unscaled features have no record.
enum FeatureScalingRecord {
    static let key = "bsnn.feature_scaling"

    static func write(_ scaler: FeatureScaler?, into metadata: inout [String: String]) {
        guard let s = scaler else { return }
        let json: JSONValue = .object([
            JSONMember("method", .string(s.method.rawValue)),
            JSONMember("offsets", .array(s.offsets.map { .number(Double($0)) })),
            JSONMember("scales", .array(s.scales.map { .number(Double($0)) })),
        ])
        metadata[key] = json.serialized()
    }

    /// The record of a model with `inputs` inputs, nil when the file has none.
    static func read(_ metadata: [String: String], inputs: Int, file: String) throws(BSNNError) -> FeatureScaler? {
        guard let text = metadata[key] else { return nil }
        func fail(_ what: String) -> BSNNError { .format("\(file): metadata \"\(key)\": \(what)") }
        let json = try JSONParser.parse(text, name: "\(file): \(key)")
        guard case .object(let members) = json else { throw fail("expected an object") }
        let known: Set<String> = ["method", "offsets", "scales"]
        if let unknown = members.first(where: { !known.contains($0.key) }) { throw fail("unknown key \"\(unknown.key)\"") }
        guard let name = json["method"]?.stringValue, let method = FeatureScaling(rawValue: name), method != .none else {
            throw fail("method: expected unitInterval or standardize, got \(json["method"].map { "\($0)" } ?? "nothing")")
        }
        func floats(_ field: String) throws(BSNNError) -> [Float] {
            guard let items = json[field]?.arrayValue, items.count == inputs else {
                throw fail("\(field): expected an array of \(inputs) numbers (one per input)")
            }
            return try items.enumerated().map { (i, v) throws(BSNNError) in
                guard let d = v.numberValue, let f = Float(exactly: d), f.isFinite else {
                    throw fail("\(field)[\(i)]: expected a finite float32, got \(v)")
                }
                return f
            }
        }
        let scales = try floats("scales")
        if let bad = scales.firstIndex(where: { $0 == 0 }) { throw fail("scales[\(bad)]: expected a non-zero factor") }
        return try FeatureScaler(method: method, offsets: try floats("offsets"), scales: scales)
    }
}
