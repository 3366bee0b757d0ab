import Foundation

extension SVGPlot {
    /// A series' error bars: one `<path class="error-bar">` per x (a vertical line from
    /// low to high with caps), with `data-label`, `data-x`, `data-low` and `data-high`
    /// so the numbers read back out of the picture. An end the axis cannot show (≤ 0 on
    /// a log axis, ±∞, NaN) is drawn to the frame's edge and marked `data-clipped`.
    func errorBarElements(_ ser: Series, color: String, x px: (Double) -> Double, y py: (Double) -> Double,
                                 drawable: (Double) -> Bool) -> String {
        var s = ""
        for e in ser.errorBars where e.x.isFinite && (drawable(e.low) || drawable(e.high)) {
            let x = px(e.x), cap = 4.0
            let top = py(drawable(e.high) ? e.high : .greatestFiniteMagnitude)
            let bottom = py(drawable(e.low) ? e.low : logY ? .leastNonzeroMagnitude : -.greatestFiniteMagnitude)
            let clipped = drawable(e.low) && drawable(e.high) ? "" : " data-clipped=\"true\""
            let d = "M\(g(x)),\(g(bottom)) L\(g(x)),\(g(top)) M\(g(x - cap)),\(g(top)) L\(g(x + cap)),\(g(top)) M\(g(x - cap)),\(g(bottom)) L\(g(x + cap)),\(g(bottom))"
            s += "<path class=\"error-bar\" data-label=\"\(esc(ser.label))\" data-x=\"\(Self.label(e.x))\" data-low=\"\(e.low)\" data-high=\"\(e.high)\"\(clipped) d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.2\"/>\n"
        }
        return s
    }
}

private func g(_ v: Double) -> String { String(format: "%.2f", v) }
