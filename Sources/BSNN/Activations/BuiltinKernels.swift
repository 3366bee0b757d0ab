// Float batch kernels of the builtin activations, built on FastMath.
//
// Accuracy (tested in ActivationTests over [-20, 20] against the double closures):
// |kernel − exact| ≤ 2e-6·max(1, |exact|) for value and derivative, scale 1 shift 0.
// Inputs are clamped only where the function has already saturated in float.

enum BuiltinKernels {
    static let identity: ActivationBatchKernel = { x, n, scale, shift, v, d in
        runPointwiseKernel(
            x, n, scale, shift, v, d, value: { $0 }, valueAndDerivative: { ($0, 1) })
    }

    static let relu: ActivationBatchKernel = { x, n, scale, shift, v, d in
        runPointwiseKernel(
            x, n, scale, shift, v, d,
            value: { $0 > 0 ? $0 : 0 },
            valueAndDerivative: { $0 > 0 ? ($0, 1) : (0, 0) })
    }

    static func leakyRelu(slope: Double) -> ActivationBatchKernel {
        let k = Float(slope)
        return { x, n, scale, shift, v, d in
            runPointwiseKernel(
                x, n, scale, shift, v, d,
                value: { $0 > 0 ? $0 : k * $0 },
                valueAndDerivative: { $0 > 0 ? ($0, 1) : (k * $0, k) })
        }
    }

    /// λ·ELU_α; ELU is λ = 1. `e − 1` instead of expm1 costs ~1e-7 absolute near 0.
    static func elu(alpha: Double, lambda: Double) -> ActivationBatchKernel {
        let a = Float(alpha), l = Float(lambda), la = Float(lambda * alpha)
        return { x, n, scale, shift, v, d in
            runPointwiseKernel(
                x, n, scale, shift, v, d,
                value: { xi in
                    let e = fastExpf(xi < 0 ? xi : 0)
                    return xi > 0 ? l * xi : l * (a * (e - 1))
                },
                valueAndDerivative: { xi in
                    let e = fastExpf(xi < 0 ? xi : 0)
                    return xi > 0 ? (l * xi, l) : (l * (a * (e - 1)), la * e)
                })
        }
    }

    /// tanh as Eigen's rational minimax fit p(x)/q(x) (degree 13/6, odd/even) on the
    /// clamped range |x| ≤ 7.9053, beyond which float tanh is ±1. No exp, one division:
    /// ~3× faster than 1 − 2/(eˣ+1) here, and within a few float ulp (tested ≤ 2e-6).
    static let tanh: ActivationBatchKernel = { x, n, scale, shift, v, d in
        @inline(__always) func t(_ xi: Float) -> Float {
            var c = xi < -7.905_311_107_635_498 ? -7.905_311_107_635_498 : xi
            c = c > 7.905_311_107_635_498 ? 7.905_311_107_635_498 : c
            let x2 = c * c
            var p: Float = -2.760_768_477_423_55e-16
            p = p * x2 + 2.000_187_904_824_77e-13
            p = p * x2 - 8.604_671_522_137_35e-11
            p = p * x2 + 5.122_297_090_371_14e-08
            p = p * x2 + 1.485_722_357_179_79e-05
            p = p * x2 + 6.372_619_288_754_36e-04
            p = p * x2 + 4.893_524_558_917_86e-03
            var q: Float = 1.198_258_394_667_02e-06
            q = q * x2 + 1.185_347_056_866_54e-04
            q = q * x2 + 2.268_434_632_439_00e-03
            q = q * x2 + 4.893_525_185_543_85e-03
            // Tiny |x|: tanh x = x to float precision; the ratio would round it.
            return abs(c) < 4e-4 ? c : c * p / q
        }
        runPointwiseKernel(
            x, n, scale, shift, v, d,
            value: { t($0) },
            valueAndDerivative: { xi in
                let y = t(xi)
                return (y, 1 - y * y)
            })
    }

    static let sigmoid: ActivationBatchKernel = { x, n, scale, shift, v, d in
        // σ' = e^{-x}·σ² keeps relative accuracy where 1 − σ would cancel.
        runPointwiseKernel(
            x, n, scale, shift, v, d,
            value: { 1 / (1 + fastExpf(-$0)) },
            valueAndDerivative: { xi in
                let e = fastExpf(-xi)
                let s = 1 / (1 + e)
                return (s, e * s * s)
            })
    }

    /// x·σ(k·x): SiLU is k = 1, the paper's GELU k = 1.702.
    static func xSigmoid(k: Float) -> ActivationBatchKernel {
        return { x, n, scale, shift, v, d in
            runPointwiseKernel(
                x, n, scale, shift, v, d,
                value: { $0 / (1 + fastExpf(-k * $0)) },
                valueAndDerivative: { xi in
                    let e = fastExpf(-k * xi)
                    let s = 1 / (1 + e)
                    // (e·s) = 1 − σ ≤ 1 first: k·x·e alone overflows to −inf for x ≲ −52;
                    // and k·x itself overflows near float's max, where σ(1−σ) is 0 anyway.
                    var xc = xi < -1e4 ? -1e4 : xi
                    xc = xc > 1e4 ? 1e4 : xc
                    return (xi * s, s + k * xc * s * (e * s))
                })
        }
    }

    static let softplus: ActivationBatchKernel = { x, n, scale, shift, v, d in
        // max(x,0) + log1p(e^{-|x|}) never overflows; σ(x) from the same e^{-|x|}.
        runPointwiseKernel(
            x, n, scale, shift, v, d,
            value: { xi in
                let u = fastExpf(xi < 0 ? xi : -xi)
                return (xi > 0 ? xi : 0) + fastLog1pUnitf(u)
            },
            valueAndDerivative: { xi in
                let u = fastExpf(xi < 0 ? xi : -xi)
                let r = 1 / (1 + u)
                return ((xi > 0 ? xi : 0) + fastLog1pUnitf(u), xi < 0 ? u * r : r)
            })
    }

    /// x·Φ(x), Φ(x) = erfc(−x/√2)/2.
    static let geluErf: ActivationBatchKernel = { x, n, scale, shift, v, d in
        @inline(__always) func phi(_ xi: Float) -> Float {
            let q = 0.5 * fastErfcNonNegativef((xi < 0 ? -xi : xi) * 0.707_106_78)
            return xi < 0 ? q : 1 - q
        }
        runPointwiseKernel(
            x, n, scale, shift, v, d,
            value: { $0 * phi($0) },
            valueAndDerivative: { xi in
                let p = phi(xi)
                return (xi * p, p + xi * 0.398_942_28 * fastExpf(-0.5 * xi * xi))
            })
    }
}
