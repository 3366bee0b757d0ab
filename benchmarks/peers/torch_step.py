#!/usr/bin/env python3
"""Peer: PyTorch on CPU, eager or torch.compile (--compile).

Written the way a PyTorch user would: autograd through the row normalization,
torch.optim.SGD with momentum. The hidden weights are one stacked (D,500,500)
parameter so the normalization is a single op rather than D small ones.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402


def main():
    p = C.parse_args("torch")
    p.add_argument("--compile", action="store_true", help="torch.compile the forward+loss")
    args = p.parse_args()
    peer = "torch-compile" if args.compile else "torch-eager"
    C.limit_threads_env(args.threads)
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        C.skip(peer, args, f"torch not importable: {e}")
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(args.seed)

    D, H = args.depth, C.WIDTH
    a, b = C.A_GPN, C.B_GPN
    W0 = torch.nn.Parameter(torch.randn(H, C.N_IN) / C.N_IN ** 0.5)
    b0 = torch.nn.Parameter(torch.zeros(H))
    V = torch.nn.Parameter(torch.randn(D, H, H))
    bh = torch.nn.Parameter(torch.zeros(D, H))
    Wo = torch.nn.Parameter(torch.randn(C.N_OUT, H) / H ** 0.5)
    bo = torch.nn.Parameter(torch.zeros(C.N_OUT))
    params = [W0, b0, V, bh, Wo, bo]
    opt = torch.optim.SGD(params, lr=C.LR, momentum=C.MOMENTUM)

    def loss_fn(x, y):
        # unbind, not W[l]: each W[l] would back-propagate a full (D,500,500)
        # zero tensor, which makes the backward pass O(D²) in memory traffic.
        Ws = (V / V.norm(dim=2, keepdim=True)).unbind(0)
        bs = bh.unbind(0)
        h = a * torch.tanh(F.linear(x, W0, b0)) + b
        for l in range(D):
            h = a * torch.tanh(F.linear(h, Ws[l], bs[l])) + b
        return F.cross_entropy(F.linear(h, Wo, bo), y)

    fwd = loss_fn
    if args.compile:
        # Regional compilation (PyTorch's advice for repeated blocks): one
        # compiled layer reused D times. Compiling the whole unrolled net takes
        # 30 s at depth 20 and minutes at depth 200.
        layer_c = torch.compile(lambda h, w, bias: a * torch.tanh(F.linear(h, w, bias)) + b)
        norm_c = torch.compile(lambda v: v / v.norm(dim=2, keepdim=True))

        def fwd(x, y):
            Ws = norm_c(V).unbind(0)
            bs = bh.unbind(0)
            h = layer_c(x, W0, b0)
            for l in range(D):
                h = layer_c(h, Ws[l], bs[l])
            return F.cross_entropy(F.linear(h, Wo, bo), y)

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = fwd(x, y)
        loss.backward()
        opt.step()
        return loss

    extra = {"torch": torch.__version__}
    if args.compile:
        # The first call compiles; it is reported, never timed as a step.
        x0 = torch.randn(C.BATCH, C.N_IN)
        y0 = torch.randint(0, C.N_OUT, (C.BATCH,))
        t0 = time.perf_counter()
        step(x0, y0)
        extra["compile_s"] = round(time.perf_counter() - t0, 2)

    if args.epoch:
        import numpy as np
        xtr, ytr = C.load_fashion_train(np)
        perm = np.random.default_rng(args.seed).permutation(len(xtr))
        xtr = torch.from_numpy(xtr[perm])
        ytr = torch.from_numpy(ytr[perm])
        losses = []
        t0 = time.perf_counter()
        for s, e in C.batches(len(xtr)):
            losses.append(step(xtr[s:e], ytr[s:e]).detach())
        sec = time.perf_counter() - t0
        extra["last100_loss"] = round(float(torch.stack(losses[-100:]).mean()), 4)
        C.emit(C.epoch_record(peer, args.depth, args.threads, sec, len(xtr), **extra))
        return

    x = torch.randn(C.BATCH, C.N_IN)
    y = torch.randint(0, C.N_OUT, (C.BATCH,))
    steps = args.steps or 20
    warmup = 3 if args.warmup is None else args.warmup
    times = C.timed(lambda: step(x, y), steps, warmup)
    C.emit(C.step_record(peer, args.depth, args.threads, times, **extra))


if __name__ == "__main__":
    main()
