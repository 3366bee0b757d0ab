/// "Did you mean …?" for names people type (activations, options, subcommands): the
/// known name closest by edit distance, where swapping two neighbouring letters counts
/// as one edit (so `tahn` → `tanh`, `trian` → `train`), compared case-insensitively.
public enum NameSuggestion {
    /// Longer inputs are not a misspelling of any name bsnn knows.
    static let maxNameLength = 64

    /// The closest of `known` to `name`, or nil when none is within
    /// max(1, name.count / 3) edits (further away a suggestion is noise) or `name` is a
    /// known name already. Ties go to the earlier name in `known`.
    public static func closest(to name: String, in known: [String]) -> String? {
        let a = Array(name.lowercased())
        guard !a.isEmpty, a.count <= maxNameLength else { return nil }
        let limit = max(1, a.count / 3)
        var best: (name: String, distance: Int)?
        for k in known {
            let b = Array(k.lowercased())
            guard abs(b.count - a.count) <= limit else { continue }
            let d = distance(a, b)
            if d == 0 { return k == name ? nil : k }
            if d <= limit, d < (best?.distance ?? Int.max) { best = (k, d) }
        }
        return best?.name
    }

    /// The sentence appended to an "unknown name" message: " (did you mean 'x'?)" or "".
    public static func hint(for name: String, in known: [String]) -> String {
        closest(to: name, in: known).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and
    /// transpositions of adjacent characters each cost 1.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, previous2[j - 2] + 1) }
                current[j] = d
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
