"""Writes the seed programs of fuzz/corpus/capi: byte programs for the C-API fuzzer
(fuzz/targets/capi/Fuzz.swift), one helper per opcode with operands in the order the
fuzzer reads them. Run: python3 fuzz/make_capi_corpus.py"""
from pathlib import Path

out = Path(__file__).resolve().parent / "corpus" / "capi"
out.mkdir(parents=True, exist_ok=True)


def act(slot, idx): return [0, slot, idx]
def normalize(src, dst, root): return [1, src, dst, root + 1]
def model(inputs, width, depth, outputs, act_slot, slot, root=1, constraint=1, init=0, bias=1):
    return [2, inputs, width, depth, outputs, act_slot, root + 1, constraint, init, bias, 7, 0, slot]
def model_free(slot): return [3, slot]
def trainer(slot, model_slot, batch=8, opt=1, lr=3, mode=0):
    # batch, loss, optimizer, lr, momentum, weight decay, schedule, steps, factor, mode, shuffle
    return [4, batch, 0, opt, lr, 128, 0, 0, 0, 128, mode, 1, slot, model_slot]
def trainer_free(slot): return [5, slot]
def step(t, count, nfloats8, values, labels):
    return [6, t, count, nfloats8] + values + labels + [0, 0]
def predict(m, count, n4, o2, values): return [8, m, count, n4, o2] + values
def dataset(count, features, classes, values, labels, slot):
    return [9, count, features, classes] + values + labels + [slot]
def evaluate(m, d, loss=0): return [11, m, d, loss]
def fit(t, d, epochs=1): return [12, t, d, 0, epochs]
def bad_row(m, layer, scale, row, overflow): return [20, m, layer, scale, row, 1 if overflow else 0]
def evaluate_in_place(a, n1, values, slope=True): return [21, a, n1] + values + [0 if slope else 1]
def reenter(t, d): return [22, t, d]
def foreign(slot, symbol): return [23, slot, symbol]


x = [(i * 37) % 200 for i in range(32)]  # 8 samples × 4 features, ordinary values
labels = [i % 3 for i in range(8)]
programs = {
    "train_predict": act(0, 0) + model(4, 8, 2, 3, 0, 0) + trainer(0, 0) + step(0, 8, 4, x, labels)
    + predict(0, 8, 8, 12, x) + dataset(8, 4, 3, x, labels, 0) + evaluate(0, 0) + fit(0, 0),
    "save_load": act(1, 3) + model(4, 6, 1, 3, 1, 2) + [13, 2] + [14, 3, 0] + evaluate(3, 1)
    + trainer(1, 3) + [15, 1] + [16, 2] + fit(2, 0) + [18, 1, 2],
    "use_after_free": act(0, 1) + model(4, 8, 3, 2, 0, 0) + trainer(0, 0) + model_free(0)
    + step(0, 8, 4, x, labels) + trainer_free(0) + step(0, 8, 4, x, labels) + predict(0, 8, 8, 8, x)
    + [10, 0] + evaluate(0, 0) + [19, 0, 1, 0, 0],
    "nan_data": act(0, 5) + normalize(0, 1, 1) + model(4, 8, 1, 3, 1, 0, root=-1)
    + trainer(0, 0, batch=200) + step(0, 8, 4, [0xF0] + x[1:], labels)
    + dataset(8, 4, 3, x[:5] + [0xF1] + x[6:], labels[:7] + [11], 1) + fit(0, 1) + evaluate(0, 1),
    "weights": act(2, 7) + model(5, 4, 0, 2, 2, 1, constraint=2, init=2) + [17, 1, 0, 5] + x[:20]
    + [4] + [17, 1, 1, 2] + x[:8] + [2],
    # Contracts the fuzzer checks (abort on violation): a failing set_weights changes
    # nothing, in-place evaluation equals out-of-place, no change from inside fit.
    "set_weights_bad_row": act(0, 0) + model(4, 8, 2, 3, 0, 0) + bad_row(0, 1, 140, 3, False)
    + bad_row(0, 2, 100, 5, True) + bad_row(0, 0, 128, 0, False),
    "evaluate_in_place": act(0, 0) + normalize(0, 1, 1) + foreign(2, 0) + foreign(3, 1)
    + evaluate_in_place(0, 8, x[:9]) + evaluate_in_place(1, 8, x[:9]) + evaluate_in_place(2, 8, x[:9])
    + evaluate_in_place(3, 8, x[:9], slope=False),
    "reenter_fit": act(0, 0) + model(4, 8, 2, 3, 0, 0) + trainer(0, 0) + dataset(8, 4, 3, x, labels, 0)
    + reenter(0, 0) + fit(0, 0),
}
for name, program in programs.items():
    (out / name).write_bytes(bytes(b & 0xFF for b in program))
