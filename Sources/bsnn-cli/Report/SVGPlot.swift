import Foundation

/// A minimal SVG chart writer: line plots (linear or log y) and bar histograms. Every
/// measured point of a series is a vertex of one of its `<polyline class="series">`
/// elements (one per unbroken run of drawable points, the same `data-label`); a point that
/// cannot be drawn on the axis (0 or below on a log axis, ±∞, NaN) is a `<path
/// class="underflow|overflow|nan">` marker on the frame's edge with its `data-x`, named by
/// a label in the plot, never a vertex at the axis floor as if it had been measured. So
/// tests (and people) can read the numbers back out of the picture.
struct SVGPlot {
    struct Series {
        var label: String
        var points: [(x: Double, y: Double)]
        /// Optional lower/upper band drawn as a translucent polygon (spread over seeds).
        var band: [(x: Double, low: Double, high: Double)] = []
        /// Optional error bars (e.g. mean ± standard deviation over seeds), one per x
        /// (see SVGPlot+ErrorBars.swift).
        var errorBars: [(x: Double, low: Double, high: Double)] = []
        /// Shown after the label in the legend, e.g. "stays at chance" for a curve that
        /// lies on top of others.
        var note: String? = nil
    }

    var title: String
    var xLabel: String
    var yLabel: String
    var logY = false
    var series: [Series] = []
    var width = 720.0
    var height = 440.0

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]
    /// Series i gets palette[i], dashes[i] and markers[i] (each cycled), so curves that
    /// coincide stay distinguishable in print and for colour-blind readers.
    static let dashes = ["", "7 4", "2 3", "10 3 2 3", "4 2", "12 3 3 3 3 3"]
    enum Marker: String, CaseIterable { case circle, square, triangle, diamond, triangleDown = "triangle-down", cross }
    /// Markers drawn per series at most (spread evenly, staggered between series).
    static let markersPerSeries = 10
    private let left = 88.0, right = 24.0, top = 40.0, bottom = 56.0

    enum PointKind: String { case drawable, underflow, overflow, nan }

    func kind(_ y: Double) -> PointKind {
        if y.isNaN { return .nan }
        if y == .infinity { return .overflow }
        if y == -.infinity || (logY && y <= 0) { return .underflow }
        return .drawable
    }

    func render() -> String {
        let drawable: (Double) -> Bool = { kind($0) == .drawable }
        var ys = series.flatMap { $0.points.map(\.y) }.filter(drawable)
        ys += series.flatMap { $0.band.flatMap { [$0.low, $0.high] } }.filter(drawable)
        ys += series.flatMap { $0.errorBars.flatMap { [$0.low, $0.high] } }.filter(drawable)
        let xs = series.flatMap { $0.points.map(\.x) }.filter(\.isFinite)
        var (x0, x1) = (xs.min() ?? 0, xs.max() ?? 1)
        if x0 == x1 { x0 -= 1; x1 += 1 }
        let ty: (Double) -> Double = { logY ? log10($0) : $0 }
        var (y0, y1) = (ys.map(ty).min() ?? 0, ys.map(ty).max() ?? 1)
        if logY { y0 = floor(y0); y1 = ceil(y1) }
        if y1 - y0 < 1e-12 { y0 -= logY ? 1 : max(abs(y0) * 0.1, 0.5); y1 += logY ? 1 : max(abs(y1) * 0.1, 0.5) }
        if !logY { let pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad }
        let pw = width - left - right, ph = height - top - bottom
        // Values the axis cannot show get a strip of their own below (≤ 0 on a log axis,
        // −∞, NaN) or above (+∞) the measured range, so they never sit on a tick.
        let kinds = Set(series.flatMap { $0.points.map { kind($0.y) } })
        let low = kinds.contains(.underflow) || kinds.contains(.nan), high = kinds.contains(.overflow)
        let strip = 18.0
        let pTop = top + (high ? strip : 0), pBottom = top + ph - (low ? strip : 0)
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func py(_ y: Double) -> Double { pBottom - (min(max(ty(y), y0), y1) - y0) / (y1 - y0) * (pBottom - pTop) }
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(left + pw / 2))" y="22" text-anchor="middle" font-size="15">\(esc(title))</text>
        <rect class="frame" x="\(f(left))" y="\(f(top))" width="\(f(pw))" height="\(f(ph))" fill="none" stroke="#333"/>

        """
        let xTicks = Self.ticks(x0, x1)
        for (t, text) in zip(xTicks, Self.tickLabels(xTicks)) {
            s += "<line x1=\"\(f(px(t)))\" y1=\"\(f(top + ph))\" x2=\"\(f(px(t)))\" y2=\"\(f(top + ph + 5))\" stroke=\"#333\"/>"
            s += "<text x=\"\(f(px(t)))\" y=\"\(f(top + ph + 18))\" text-anchor=\"middle\">\(text)</text>\n"
        }
        let yTicks: [Double] = logY ? Self.logTicks(y0, y1) : Self.ticks(y0, y1)
        for (t, text) in zip(yTicks, logY ? yTicks.map { "1e\(Int($0))" } : Self.tickLabels(yTicks)) {
            let yy = pBottom - (t - y0) / (y1 - y0) * (pBottom - pTop)
            s += "<line x1=\"\(f(left))\" y1=\"\(f(yy))\" x2=\"\(f(left + pw))\" y2=\"\(f(yy))\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(yy + 4))\" text-anchor=\"end\">\(text)</text>\n"
        }
        for (on, edge, name) in [(low, pBottom, logY ? "≤ 0" : "−∞"), (high, pTop, "+∞")] where on {
            s += "<line class=\"strip\" x1=\"\(f(left))\" y1=\"\(f(edge))\" x2=\"\(f(left + pw))\" y2=\"\(f(edge))\" stroke=\"#999\" stroke-dasharray=\"3 3\"/>"
            let mid = edge == pBottom ? (pBottom + top + ph) / 2 : (top + pTop) / 2
            s += "<text class=\"strip-label\" x=\"\(f(left - 6))\" y=\"\(f(mid + 4))\" text-anchor=\"end\">\(name)</text>\n"
        }
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
        s += "<text transform=\"translate(16 \(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
        var vertices: [(Double, Double)] = []
        var notes: [[String]] = []
        for (i, ser) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count], dash = Self.dashes[i % Self.dashes.count]
            let marker = Marker.allCases[i % Marker.allCases.count]
            let label = esc(ser.label)
            if !ser.band.isEmpty {
                let band = ser.band.filter { drawable($0.low) && drawable($0.high) }
                let up = band.map { "\(f(px($0.x))),\(f(py($0.high)))" }
                let down = band.reversed().map { "\(f(px($0.x))),\(f(py($0.low)))" }
                s += "<polygon class=\"band\" points=\"\((up + down).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\"/>\n"
            }
            s += errorBarElements(ser, color: color, x: px, y: py, drawable: drawable)
            let dashAttr = dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\""
            let noteAttr = ser.note.map { " data-note=\"\(esc($0))\"" } ?? ""
            var runs: [[(x: Double, y: Double)]] = [[]]
            for p in ser.points {
                if drawable(p.y) && p.x.isFinite { runs[runs.count - 1].append(p) } else if !(runs.last?.isEmpty ?? true) { runs.append([]) }
            }
            for (part, run) in runs.enumerated() where !run.isEmpty || part == 0 {
                let pts = run.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                vertices += run.map { (px($0.x), py($0.y)) }
                s += "<polyline class=\"series\" data-label=\"\(label)\" data-part=\"\(part)\" data-marker=\"\(marker.rawValue)\"\(noteAttr) points=\"\(pts)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"\(dashAttr)/>\n"
            }
            // Markers at a few points, staggered between series so coinciding curves
            // still show every series' marker.
            let measured = ser.points.enumerated().filter { drawable($0.element.y) && $0.element.x.isFinite }
            let stride = max(1, Int((Double(measured.count) / Double(Self.markersPerSeries)).rounded(.up)))
            let offset = series.count > 1 ? stride * i / series.count : 0
            for (k, p) in measured.enumerated() where k % stride == offset % stride {
                s += "<path class=\"marker\" data-label=\"\(label)\" data-index=\"\(p.offset)\" d=\"\(Self.markerPath(marker, px(p.element.x), py(p.element.y), 3.5))\" fill=\"\(color)\" stroke=\"\(color)\"/>\n"
            }
            var serNotes = ser.note.map { [$0] } ?? []
            for k in [PointKind.underflow, .overflow, .nan] {
                let off = ser.points.filter { kind($0.y) == k && $0.x.isFinite }
                guard let first = off.first, let last = off.last else { continue }
                let mid = k == .overflow ? (top + pTop) / 2 : (pBottom + top + ph) / 2
                for p in off {
                    s += "<path class=\"\(k.rawValue)\" data-label=\"\(label)\" data-x=\"\(Self.label(p.x))\" d=\"\(Self.markerPath(k == .overflow ? .triangle : .triangleDown, px(p.x), mid, 3.5))\" fill=\"\(color)\" stroke=\"\(color)\"/>\n"
                }
                let what = k == .underflow ? (logY ? "underflow (≤ 0)" : "−∞") : k == .overflow ? "overflow (+∞)" : "NaN"
                let span = last.x == first.x ? Self.label(first.x) : "\(Self.label(first.x))–\(Self.label(last.x))"
                serNotes.append("\(what) at \(off.count) point\(off.count == 1 ? "" : "s"), \(xLabel) \(span)")
            }
            notes.append(serNotes)
        }
        s += legend(notes: notes, frame: (left, top, pw, ph), avoiding: vertices)
        return s + "</svg>\n"
    }

    /// The legend box, inside the frame, in the corner that covers the fewest vertices.
    private func legend(notes: [[String]], frame: (x: Double, y: Double, w: Double, h: Double), avoiding vertices: [(Double, Double)]) -> String {
        guard !series.isEmpty else { return "" }
        let texts: [String] = series.indices.map { i in ([series[i].label] + notes[i]).joined(separator: " — ") }
        let longest = Double(texts.map { $0.count }.max() ?? 0)
        let w = min(frame.w - 16, 52 + longest * 6.6)
        let h = 8 + 18 * Double(series.count)
        let inset = 8.0
        let (lx, rx) = (frame.x + inset, frame.x + frame.w - inset - w)
        let (ty, by) = (frame.y + inset, frame.y + frame.h - inset - h)
        let corners: [(Double, Double)] = [(rx, ty), (lx, ty), (rx, by), (lx, by)]
        let covered: [Int] = corners.map { c in
            vertices.filter { v in v.0 >= c.0 && v.0 <= c.0 + w && v.1 >= c.1 && v.1 <= c.1 + h }.count
        }
        let best = covered.indices.min { covered[$0] < covered[$1] } ?? 0
        let (bx, bTop) = corners[best]
        var s = "<g class=\"legend\">\n<rect class=\"legend\" x=\"\(f(bx))\" y=\"\(f(bTop))\" width=\"\(f(w))\" height=\"\(f(h))\" fill=\"white\" fill-opacity=\"0.88\" stroke=\"#999\"/>\n"
        for (i, ser) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count], dash = Self.dashes[i % Self.dashes.count]
            let marker = Marker.allCases[i % Marker.allCases.count]
            let ly = bTop + 17 + Double(i) * 18
            s += "<line x1=\"\(f(bx + 8))\" y1=\"\(f(ly - 4))\" x2=\"\(f(bx + 40))\" y2=\"\(f(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>"
            s += "<path d=\"\(Self.markerPath(marker, bx + 24, ly - 4, 3.5))\" fill=\"\(color)\" stroke=\"\(color)\"/>"
            let extra = notes[i].map { " — <tspan class=\"note\">\(esc($0))</tspan>" }.joined()
            s += "<text class=\"legend-entry\" data-label=\"\(esc(ser.label))\" x=\"\(f(bx + 46))\" y=\"\(f(ly))\">\(esc(ser.label))\(extra)</text>\n"
        }
        return s + "</g>\n"
    }

    static func markerPath(_ m: Marker, _ x: Double, _ y: Double, _ r: Double) -> String {
        switch m {
        case .circle: return "M\(f(x - r)),\(f(y)) a\(f(r)),\(f(r)) 0 1,0 \(f(2 * r)),0 a\(f(r)),\(f(r)) 0 1,0 \(f(-2 * r)),0 Z"
        case .square: return "M\(f(x - r)),\(f(y - r)) h\(f(2 * r)) v\(f(2 * r)) h\(f(-2 * r)) Z"
        case .triangle: return "M\(f(x)),\(f(y - r)) L\(f(x + r)),\(f(y + r)) L\(f(x - r)),\(f(y + r)) Z"
        case .diamond: return "M\(f(x)),\(f(y - r)) L\(f(x + r)),\(f(y)) L\(f(x)),\(f(y + r)) L\(f(x - r)),\(f(y)) Z"
        case .triangleDown: return "M\(f(x)),\(f(y + r)) L\(f(x + r)),\(f(y - r)) L\(f(x - r)),\(f(y - r)) Z"
        case .cross: return "M\(f(x - r)),\(f(y - r)) L\(f(x + r)),\(f(y + r)) M\(f(x - r)),\(f(y + r)) L\(f(x + r)),\(f(y - r))"
        }
    }

    func write(to path: String) throws { try Output.write(render(), to: path) }

    /// A bar chart of a histogram: one `<rect class="bar">` per bin.
    static func histogram(title: String, xLabel: String, lower: Double, upper: Double, counts: [Int]) -> String {
        let w = 720.0, h = 400.0, l = 70.0, r = 20.0, t = 40.0, b = 56.0
        let pw = w - l - r, ph = h - t - b
        let total = max(counts.reduce(0, +), 1)
        let maxFrac = Double(counts.max() ?? 1) / Double(total)
        // The y axis ends at the first tick above the tallest bar plus 8 %, so the
        // tallest bar never touches the frame.
        let yTop: Double = {
            guard maxFrac > 0 else { return 1 }
            let ts = ticks(0, maxFrac * 1.08), last = ts.last ?? maxFrac
            let step = ts.count > 1 ? ts[1] - ts[0] : maxFrac
            return last >= maxFrac * 1.08 ? last : last + step
        }()
        let span = upper > lower ? upper - lower : 1
        var s = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" viewBox="0 0 \(Int(w)) \(Int(h))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(f(l + pw / 2))" y="22" text-anchor="middle" font-size="15">\(esc(title))</text>
        <rect class="frame" x="\(f(l))" y="\(f(t))" width="\(f(pw))" height="\(f(ph))" fill="none" stroke="#333"/>

        """
        let bw = pw / Double(max(counts.count, 1))
        for (i, c) in counts.enumerated() {
            let frac = Double(c) / Double(total)
            let bh = yTop > 0 ? frac / yTop * ph : 0
            s += "<rect class=\"bar\" x=\"\(f(l + Double(i) * bw))\" y=\"\(f(t + ph - bh))\" width=\"\(f(max(bw - 1, 0.5)))\" height=\"\(f(bh))\" fill=\"#1f77b4\"><title>\(c)</title></rect>\n"
        }
        for tk in ticks(lower, lower + span) {
            let x = l + (tk - lower) / span * pw
            s += "<text x=\"\(f(x))\" y=\"\(f(t + ph + 18))\" text-anchor=\"middle\">\(label(tk))</text>\n"
        }
        for tk in ticks(0, yTop) {
            let y = t + ph - (yTop > 0 ? tk / yTop * ph : 0)
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

    /// Labels for evenly spaced ticks with as many decimals as their spacing needs, so
    /// neighbouring ticks never read the same (2.298, 2.300 rather than 2.3, 2.3).
    static func tickLabels(_ ts: [Double]) -> [String] {
        guard ts.count > 1, let lo = ts.first, let hi = ts.last else { return ts.map { label($0) } }
        let step = (hi - lo) / Double(ts.count - 1)
        if step >= 1 || max(abs(lo), abs(hi)) >= 1e5 || step < 1e-6 { return ts.map { label($0) } }
        let decimals = max(0, Int(ceil(-log10(step) - 1e-9)))
        return ts.map { String(format: "%.\(decimals)f", $0) }
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
