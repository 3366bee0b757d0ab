#!/usr/bin/env python3
"""Peer: JAX, one jitted step with lax.scan over the stacked hidden layers.

scan keeps the compiled program the size of one layer, so depth 200 compiles
as fast as depth 20; the whole step (forward, backward, momentum update) is
one XLA executable with the parameter buffers donated.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

PEER = "jax"


def main():
    args = C.parse_args(PEER).parse_args()
    C.limit_threads_env(args.threads)
    if args.threads == 1:
        # XLA sizes its pools from the CPUs it may run on; the flags alone are
        # not honoured by every XLA CPU runtime, so pin the process as well.
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false"
                                   " intra_op_parallelism_threads=1").strip()
    cpus = sorted(os.sched_getaffinity(0))
    if args.threads < len(cpus):
        os.sched_setaffinity(0, set(cpus[:args.threads]))
    try:
        import jax
        import jax.numpy as jnp
        from jax import lax
    except ImportError as e:
        C.skip(PEER, args, f"jax not importable: {e}")
    jax.config.update("jax_platforms", "cpu")

    D, H = args.depth, C.WIDTH
    a, b = C.A_GPN, C.B_GPN
    k = jax.random.split(jax.random.PRNGKey(args.seed), 4)
    params = {
        "W0": jax.random.normal(k[0], (H, C.N_IN), jnp.float32) / C.N_IN ** 0.5,
        "b0": jnp.zeros(H, jnp.float32),
        "V": jax.random.normal(k[1], (D, H, H), jnp.float32),
        "bh": jnp.zeros((D, H), jnp.float32),
        "Wo": jax.random.normal(k[2], (C.N_OUT, H), jnp.float32) / H ** 0.5,
        "bo": jnp.zeros(C.N_OUT, jnp.float32),
    }
    vel = jax.tree_util.tree_map(jnp.zeros_like, params)

    def loss_fn(p, x, y):
        h = a * jnp.tanh(x @ p["W0"].T + p["b0"]) + b

        def layer(h, vb):
            v, bias = vb
            w = v / jnp.linalg.norm(v, axis=1, keepdims=True)
            return a * jnp.tanh(h @ w.T + bias) + b, None

        h, _ = lax.scan(layer, h, (p["V"], p["bh"]))
        z = h @ p["Wo"].T + p["bo"]
        logp = jax.nn.log_softmax(z)
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    def step(p, v, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        v = jax.tree_util.tree_map(lambda vi, gi: C.MOMENTUM * vi + gi, v, g)
        p = jax.tree_util.tree_map(lambda pi, vi: pi - C.LR * vi, p, v)
        return p, v, loss

    jstep = jax.jit(step, donate_argnums=(0, 1))
    state = {"p": params, "v": vel}

    def run(x, y):
        state["p"], state["v"], loss = jstep(state["p"], state["v"], x, y)
        return loss

    extra = {"jax": jax.__version__, "cpus": len(os.sched_getaffinity(0))}
    if args.epoch:
        import numpy as np
        xtr, ytr = C.load_fashion_train(np)
        perm = np.random.default_rng(args.seed).permutation(len(xtr))
        xtr, ytr = xtr[perm], ytr[perm].astype(np.int32)
        # Both batch shapes compile before the clock starts.
        t0 = time.perf_counter()
        for n in {C.BATCH, len(xtr) % C.BATCH} - {0}:
            jstep.lower(state["p"], state["v"], xtr[:n], ytr[:n]).compile()
        extra["compile_s"] = round(time.perf_counter() - t0, 2)
        losses = []
        t0 = time.perf_counter()
        for s, e in C.batches(len(xtr)):
            losses.append(run(xtr[s:e], ytr[s:e]))
        jax.block_until_ready(losses[-1])
        sec = time.perf_counter() - t0
        extra["last100_loss"] = round(float(jnp.mean(jnp.stack(losses[-100:]))), 4)
        C.emit(C.epoch_record(PEER, args.depth, args.threads, sec, len(xtr), **extra))
        return

    x = jax.random.normal(k[3], (C.BATCH, C.N_IN), jnp.float32)
    y = jax.random.randint(k[3], (C.BATCH,), 0, C.N_OUT, jnp.int32)
    t0 = time.perf_counter()
    jax.block_until_ready(run(x, y))
    extra["compile_s"] = round(time.perf_counter() - t0, 2)
    steps = args.steps or 20
    warmup = 3 if args.warmup is None else args.warmup
    times = C.timed(lambda: run(x, y), steps, warmup, sync=jax.block_until_ready)
    C.emit(C.step_record(PEER, args.depth, args.threads, times, **extra))


if __name__ == "__main__":
    main()
