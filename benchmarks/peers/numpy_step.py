#!/usr/bin/env python3
"""Peer: hand-written backprop in numpy (float32), row-norm gradient included.

This is what a user without a framework would write: every GEMM goes to the
BLAS that numpy's wheel bundles, every elementwise op is a numpy pass.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

PEER = "numpy"


class Net:
    def __init__(self, np, depth, seed):
        self.np = np
        f32 = np.float32
        rng = np.random.default_rng(seed)
        D, H = depth, C.WIDTH
        self.D = D
        self.W0 = (rng.standard_normal((H, C.N_IN)) / np.sqrt(C.N_IN)).astype(f32)
        self.b0 = np.zeros(H, f32)
        self.V = rng.standard_normal((D, H, H)).astype(f32)
        self.bh = np.zeros((D, H), f32)
        self.Wo = (rng.standard_normal((C.N_OUT, H)) / np.sqrt(H)).astype(f32)
        self.bo = np.zeros(C.N_OUT, f32)
        self.params = [self.W0, self.b0, self.V, self.bh, self.Wo, self.bo]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.vel = [np.zeros_like(p) for p in self.params]
        # Preallocated so that a depth-200 step does not churn 200 MB arrays.
        self.W = np.empty_like(self.V)
        self.n = np.empty((D, H), f32)
        self.a = f32(C.A_GPN)
        self.b = f32(C.B_GPN)

    def step(self, x, y):
        np = self.np
        D, a, b = self.D, self.a, self.b
        V, W, n = self.V, self.W, self.n
        gW0, gb0, gV, gbh, gWo, gbo = self.grads
        B = x.shape[0]

        np.einsum("lij,lij->li", V, V, out=n)
        np.sqrt(n, out=n)
        np.divide(V, n[:, :, None], out=W)

        xs = [None] * (D + 2)   # input of each layer
        ts = [None] * (D + 1)   # tanh(h) of each activated layer, for φ'
        xs[0] = x
        h = x @ self.W0.T
        h += self.b0
        t = np.tanh(h)
        ts[0] = t
        xs[1] = a * t + b
        for l in range(D):
            h = xs[l + 1] @ W[l].T
            h += self.bh[l]
            t = np.tanh(h)
            ts[l + 1] = t
            xs[l + 2] = a * t + b
        z = xs[D + 1] @ self.Wo.T
        z += self.bo
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(B), y] + np.float32(1e-30)).mean()

        dz = p
        dz[np.arange(B), y] -= 1
        dz /= np.float32(B)
        np.matmul(dz.T, xs[D + 1], out=gWo)
        dz.sum(axis=0, out=gbo)
        dx = dz @ self.Wo
        for l in range(D - 1, -1, -1):
            t = ts[l + 1]
            # φ'(h) = a·(1 - tanh²h)
            dh = dx * (a * (np.float32(1) - t * t))
            g = gV[l]
            np.matmul(dh.T, xs[l + 1], out=g)
            dh.sum(axis=0, out=gbh[l])
            dx = dh @ W[l]
            # Through W = diag(1/n) V: dV = (dW - W·rowsum(dW∘W)) / n
            s = np.einsum("ij,ij->i", g, W[l])
            g -= W[l] * s[:, None]
            g /= n[l][:, None]
        t = ts[0]
        dh = dx * (a * (np.float32(1) - t * t))
        np.matmul(dh.T, x, out=gW0)
        dh.sum(axis=0, out=gb0)

        lr = np.float32(C.LR)
        mu = np.float32(C.MOMENTUM)
        for prm, g, v in zip(self.params, self.grads, self.vel):
            # PyTorch heavy ball: v = μv + g; p -= lr·v
            v *= mu
            v += g
            np.multiply(v, lr, out=g)  # g is dead now; reuse it as scratch
            prm -= g
        return loss


def main():
    args = C.parse_args(PEER).parse_args()
    C.limit_threads_env(args.threads)
    try:
        import numpy as np
    except ImportError as e:
        C.skip(PEER, args, f"numpy not importable: {e}")
    extra = {"numpy": np.__version__}
    try:
        from threadpoolctl import threadpool_info
        extra["blas"] = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
                         for i in threadpool_info() if i.get("user_api") == "blas"]
    except ImportError:
        pass
    net = Net(np, args.depth, args.seed)
    if args.epoch:
        xtr, ytr = C.load_fashion_train(np)
        perm = np.random.default_rng(args.seed).permutation(len(xtr))
        xtr, ytr = xtr[perm], ytr[perm]
        losses = []
        t0 = time.perf_counter()
        for s, e in C.batches(len(xtr)):
            losses.append(net.step(xtr[s:e], ytr[s:e]))
        sec = time.perf_counter() - t0
        extra["last100_loss"] = round(float(np.mean(losses[-100:])), 4)
        C.emit(C.epoch_record(PEER, args.depth, args.threads, sec, len(xtr), **extra))
        return
    rng = np.random.default_rng(args.seed + 1)
    x = rng.standard_normal((C.BATCH, C.N_IN)).astype(np.float32)
    y = rng.integers(0, C.N_OUT, C.BATCH)
    steps = args.steps or 20
    warmup = 3 if args.warmup is None else args.warmup
    times = C.timed(lambda: net.step(x, y), steps, warmup)
    C.emit(C.step_record(PEER, args.depth, args.threads, times, **extra))


if __name__ == "__main__":
    main()
