import Foundation

/// A minimal SVG chart writer: line plots (linear or log y) and bar histograms. Every
/// series is one `<polyline>` whose `points` list has exactly one pair per data point,
/// so tests (and people) can read the numbers back out of the picture.
struct SVGPlot {
    struct Series {
        var label: String
        var points: [(x: Double, y: Double)]
        /// Optional lower/upper band drawn as a translucent polygon (spread over seeds).
        var band: [(x: Double, low: Double, high: Double)] = []
        var dashed = false
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var logY = false
    var series: [Series] = []
    var width = 720.0
    var height = 440.0

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
    private let left = 80.0, right = 170.0, top = 40.0, bottom = 56.0

    /// Non-finite and (on a log axis) non-positive values cannot be drawn; they are
    /// clamped to the axis edge rather than dropped so the point count stays honest.
    func render() -> String {
        let finite: (Double) -> Bool = { $0.isFinite && (!logY || $0 > 0) }
        var ys = series.flatMap { $0.points.map(\.y) }.filter(finite)
        ys += series.flatMap { $0.band.flatMap { [$0.low, $0.high] } }.filter(finite)
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1)
        if x0 == x1 { x0 -= 1; x1 += 1 }
        let ty: (Double) -> Double = { logY ? log10($0) : $0 }
        var (y0, y1) = (ys.map(ty).min() ?? 0, ys.map(ty).max() ?? 1)
        if logY { y0 = floor(y0); y1 = ceil(y1) }
        if y1 - y0 < 1e-12 { y0 -= logY ? 1 : max(abs(y0) * 0.1, 0.5); y1 += logY ? 1 : max(abs(y1) * 0.1, 0.5) }
        if !logY { let pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad }
        let pw = width - left - right, ph = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func py(_ y: Double) -> Double {
            let v: Double
            if y.isNaN { v = y0 } else if !finite(y) { v = (y > 0 && y.isInfinite) ? y1 : y0 } else { v = ty(y) }
            return top + (1 - (min(max(v, y0), y1) - y0) / (y1 - y0)) * ph
        }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + pw / 2))" y="22" text-anchor="middle" font-size="15">\(esc(title))</text>
        <rect x="\(f(left))" y="\(f(top))" width="\(f(pw))" height="\(f(ph))" fill="none" stroke="#333"/>

        """
        for t in Self.ticks(x0, x1) {
            s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top + ph))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + ph + 5))\" stroke=\"#333\"/>"
            s += "<text x=\"\(f(px(t)))\" y=\"\(f(top + ph + 18))\" text-anchor=\"middle\">\(Self.label(t))</text>\n"
        }
        let yTicks: [Double] = logY ? Self.logTicks(y0, y1) : Self.ticks(y0, y1)
        for t in yTicks {
            let yy = top + (1 - (t - y0) / (y1 - y0)) * ph
            s += "<line x1=\"\(f(left))\" y1=\"\(f(yy))\" x2=\"\(f(left + pw))\" y2=\"\(f(yy))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(yy + 4))\" text-anchor=\"end\">\(logY ? "1e\(Int(t))" : Self.label(t))</text>\n"
        }
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(18 \(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        for (i, ser) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            if !ser.band.isEmpty {
                let up = ser.band.map { "\(f(px($0.x))),\(f(py($0.high)))" }
                let down = ser.band.reversed().map { "\(f(px($0.x))),\(f(py($0.low)))" }
                s += "<polygon class=\"band\" points=\"\((up + down).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
            }
            let pts = ser.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            let dash = ser.dashed ? " stroke-dasharray=\"6 4\"" : ""
            s += "<polyline class=\"series\" data-label=\"\(esc(ser.label))\" points=\"\(pts)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"\(dash)/>\n"
            let ly = top + 14 + Double(i) * 18
            s += "<line x1=\"\(f(width - right + 12))\" y1=\"\(f(ly - 4))\" x2=\"\(f(width - right + 36))\" y2=\"\(f(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>"
            s += "<text x=\"\(f(width - right + 42))\" y=\"\(f(ly))\">\(esc(ser.label))</text>\n"
        }
        return s + "</svg>\n"
    }

    func write(to path: String) throws { try Output.write(render(), to: path) }

    /// A bar chart of a histogram: one `<rect class="bar">` per bin.
    static func histogram(title: String, xLabel: String, lower: Double, upper: Double, counts: [Int]) -> String {
        let w = 720.0, h = 400.0, l = 70.0, r = 20.0, t = 40.0, b = 56.0
        let pw = w - l - r, ph = h - t - b
        let total = max(counts.reduce(0, +), 1)
        let maxFrac = Double(counts.max() ?? 1) / Double(total)
        let span = upper > lower ? upper - lower : 1
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" viewBox="0 0 \(Int(w)) \(Int(h))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(l + pw / 2))" y="22" text-anchor="middle" font-size="15">\(esc(title))</text>
        <rect x="\(f(l))" y="\(f(t))" width="\(f(pw))" height="\(f(ph))" fill="none" stroke="#333"/>

        """
        let bw = pw / Double(max(counts.count, 1))
        for (i, c) in counts.enumerated() {
            let frac = Double(c) / Double(total)
            let bh = maxFrac > 0 ? frac / maxFrac * ph : 0
            s += "<rect class=\"bar\" x=\"\(f(l + Double(i) * bw))\" y=\"\(f(t + ph - bh))\" width=\"\(f(max(bw - 1, 0.5)))\" height=\"\(f(bh))\" fill=\"#1f77b4\"><title>\(c)</title></rect>\n"
        }
        for tk in ticks(lower, lower + span) {
            let x = l + (tk - lower) / span * pw
            s += "<text x=\"\(f(x))\" y=\"\(f(t + ph + 18))\" text-anchor=\"middle\">\(label(tk))</text>\n"
        }
        for tk in ticks(0, maxFrac) {
            let y = t + ph - (maxFrac > 0 ? tk / maxFrac * ph : 0)
            s += "<text x=\"\(f(l - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(label(tk))</text>\n"
        }
        s += "<text x=\"\(f(l + pw / 2))\" y=\"\(f(h - 12))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(16 \(f(t + ph / 2))) rotate(-90)\" text-anchor=\"middle\">fraction</text>\n"
        return s + "</svg>\n"
    }

    static func ticks(_ a: Double, _ b: Double, count: Int = 6) -> [Double] {
        guard b > a, a.isFinite, b.isFinite else { return [a] }
        let raw = (b - a) / Double(count)
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? raw
        var out: [Double] = []
        var v = ceil(a / step) * step
        while v <= b + step * 1e-9 { out.append(abs(v) < step * 1e-9 ? 0 : v); v += step }
        return out
    }

    static func logTicks(_ a: Double, _ b: Double) -> [Double] {
        let n = Int(b - a)
        let stride = max(1, Int(ceil(Double(n) / 8)))
        return Swift.stride(from: Int(a), through: Int(b), by: stride).map(Double.init)
    }

    static func label(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e6 { return String(Int(v)) }
        return String(format: abs(v) >= 0.01 && abs(v) < 1e5 ? "%.3g" : "%.1e", v)
    }
}

private func f(_ v: Double) -> String { String(format: "%.2f", v) }

func esc(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
