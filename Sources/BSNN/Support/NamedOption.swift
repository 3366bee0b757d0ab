/// Enumerations chosen by name from the CLI, the C ABI and model files. `named(_:)`
/// turns an unknown name into an error that lists the valid ones.
public protocol NamedOption: RawRepresentable, CaseIterable where RawValue == String {
    /// What the option is called in messages, e.g. "loss".
    static var optionName: String { get }
}

extension NamedOption {
    public static func named(_ name: String) throws(BSNNError) -> Self {
        guard let v = Self(rawValue: name) else {
            throw BSNNError.invalidArgument(
                "\(optionName): expected one of \(allCases.map(\.rawValue).joined(separator: ", ")), got \"\(name)\""
                    + NameSuggestion.hint(for: name, in: allCases.map(\.rawValue)))
        }
        return v
    }
}
