import Foundation

/// A layer × step heat map (one `<rect class="cell">` per drawn cell, its value in a
/// `<title>`), with a colour bar. Norms span orders of magnitude, so they are coloured
/// by log10; a value ≤ 0 on a log scale (an underflow) and a non-finite value get their
/// own colours and legend entries instead of being drawn as the scale's floor.
struct SVGHeatMap {
    var title: String
    /// Global step of each column.
    var steps: [Int]
    /// values[record][layer].
    var values: [[Double]]
    var logScale: Bool
    var valueLabel: String

    /// At most this many columns and rows are drawn (every k-th record and layer), so a
    /// long, deep run stays a file a browser opens.
    static let maxColumns = 150, maxRows = 120
    static let underflowColour = "#000000", nonFiniteColour = "#d62728"

    func render() -> String {
        let w = 820.0, h = 480.0, l = 70.0, r = 110.0, t = 40.0, b = 56.0
        let pw = w - l - r, ph = h - t - b
        let layers = values.first?.count ?? 0
        let columns = Self.pick(values.count, Self.maxColumns), rows = Self.pick(layers, Self.maxRows)
        func scaled(_ v: Double) -> Double? {
            guard v.isFinite else { return nil }
            if logScale { return v > 0 ? log10(v) : nil }
            return v
        }
        let shown = columns.flatMap { c in rows.compactMap { scaled(values[c][$0]) } }
        let lo = shown.min() ?? 0, hi = shown.max() ?? 1
        let span = hi > lo ? hi - lo : 1
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" viewBox="0 0 \(Int(w)) \(Int(h))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(l + pw / 2))" y="22" text-anchor="middle" font-size="15">\(esc(title))</text>

        """
        let cw = pw / Double(max(columns.count, 1)), rh = ph / Double(max(rows.count, 1))
        var underflow = false, nonFinite = false
        for (i, c) in columns.enumerated() {
            for (j, layer) in rows.enumerated() {
                let v = values[c][layer]
                let colour: String
                if !v.isFinite {
                    colour = Self.nonFiniteColour; nonFinite = true
                } else if let x = scaled(v) {
                    colour = Self.colour((x - lo) / span)
                } else {
                    colour = Self.underflowColour; underflow = true
                }
                // Layer 0 at the bottom, as in the probe's plots' x axis read upwards.
                let y = t + ph - Double(j + 1) * rh
                s += "<rect class=\"cell\" x=\"\(f(l + Double(i) * cw))\" y=\"\(f(y))\" width=\"\(f(cw + 0.3))\" height=\"\(f(rh + 0.3))\" fill=\"\(colour)\"><title>step \(steps[c]), layer \(layer): \(Fmt.full(v))</title></rect>\n"
            }
        }
        s += "<rect class=\"frame\" x=\"\(f(l))\" y=\"\(f(t))\" width=\"\(f(pw))\" height=\"\(f(ph))\" fill=\"none\" stroke=\"#333\"/>\n"
        for k in Self.tickIndices(columns.count) {
            s += "<text x=\"\(f(l + (Double(k) + 0.5) * cw))\" y=\"\(f(t + ph + 18))\" text-anchor=\"middle\">\(steps[columns[k]])</text>\n"
        }
        for k in Self.tickIndices(rows.count) {
            s += "<text x=\"\(f(l - 6))\" y=\"\(f(t + ph - (Double(k) + 0.5) * rh + 4))\" text-anchor=\"end\">\(rows[k])</text>\n"
        }
        s += "<text x=\"\(f(l + pw / 2))\" y=\"\(f(h - 12))\" text-anchor=\"middle\">step</text>\n"
        s += "<text transform=\"translate(16 \(f(t + ph / 2))) rotate(-90)\" text-anchor=\"middle\">layer</text>\n"
        // Colour bar.
        let bx = l + pw + 20, bw = 16.0, bh = ph * 0.7
        for k in 0..<50 {
            let y = t + bh - Double(k + 1) * bh / 50
            s += "<rect x=\"\(f(bx))\" y=\"\(f(y))\" width=\"\(f(bw))\" height=\"\(f(bh / 50 + 0.3))\" fill=\"\(Self.colour((Double(k) + 0.5) / 50))\"/>\n"
        }
        func barLabel(_ x: Double) -> String { logScale ? "1e" + String(format: "%.1f", x) : SVGPlot.label(x) }
        s += "<text x=\"\(f(bx + bw + 4))\" y=\"\(f(t + 10))\">\(barLabel(hi))</text>\n"
        s += "<text x=\"\(f(bx + bw + 4))\" y=\"\(f(t + bh))\">\(barLabel(lo))</text>\n"
        s += "<text x=\"\(f(bx))\" y=\"\(f(t - 6))\">\(esc(valueLabel))</text>\n"
        if logScale { s += "<text x=\"\(f(bx))\" y=\"\(f(t + bh + 14))\">log scale</text>\n" }
        var ly = t + bh + (logScale ? 34 : 20)
        for (shownHere, colour, text) in [(underflow, Self.underflowColour, "0 (underflow)"), (nonFinite, Self.nonFiniteColour, "NaN/Inf")] where shownHere {
            s += "<rect class=\"legend\" x=\"\(f(bx))\" y=\"\(f(ly))\" width=\"\(f(bw))\" height=\"12\" fill=\"\(colour)\"/>"
                + "<text x=\"\(f(bx + bw + 4))\" y=\"\(f(ly + 10))\">\(text)</text>\n"
            ly += 18
        }
        return s + "</svg>\n"
    }

    func write(to path: String) throws { try Output.write(render(), to: path) }

    /// Up to `limit` evenly spaced indices of 0..<n, always including the last.
    static func pick(_ n: Int, _ limit: Int) -> [Int] {
        guard n > limit else { return Array(0..<n) }
        let k = (n + limit - 1) / limit
        var out = Array(stride(from: 0, to: n, by: k))
        if out.last != n - 1 { out.append(n - 1) }
        return out
    }

    static func tickIndices(_ n: Int) -> [Int] {
        guard n > 0 else { return [] }
        let k = max(1, n / 6)
        var out = Array(stride(from: 0, to: n, by: k))
        // The last index always gets a label; a regular one too close to it gives way.
        if let last = out.last, last != n - 1 {
            if n - 1 - last < k / 2 { out.removeLast() }
            out.append(n - 1)
        }
        return out
    }

    /// Viridis, linearly interpolated between five of its colours; u in [0, 1].
    static func colour(_ u: Double) -> String {
        let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
        let x = min(max(u.isFinite ? u : 0, 0), 1) * Double(stops.count - 1)
        let i = min(Int(x), stops.count - 2), frac = x - Double(i)
        let a = stops[i], c = stops[i + 1]
        func mix(_ p: Double, _ q: Double) -> Int { Int((p + (q - p) * frac).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, c.0), mix(a.1, c.1), mix(a.2, c.2))
    }
}

private func f(_ v: Double) -> String { String(format: "%.2f", v) }
