"""bsnn.sklearn: scikit-learn's estimator checks, labels of any kind, Pipeline,
cross_val_score in worker processes, GridSearchCV, partial_fit, pickling."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is not installed (pip install scikit-learn)")

from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

import bsnn  # noqa: E402
from bsnn.sklearn import BSNNClassifier, BSNNRegressor  # noqa: E402


def blobs(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0, 0, 1], [-2, 1, 0, 0], [0, -2, 1, -1]])
    k = rng.integers(0, 3, n)
    return (centers[k] + rng.normal(scale=0.7, size=(n, 4))), k


@pytest.mark.parametrize("estimator", [
    BSNNClassifier(width=16, depth=2, epochs=20, lr=0.05),
    BSNNRegressor(width=16, depth=2, epochs=20, lr=0.02),
], ids=["classifier", "regressor"])
def test_check_estimator(estimator):
    expected = estimator._expected_failed_checks()
    results = check_estimator(estimator, expected_failed_checks=expected, on_skip=None)
    ran = [r for r in results if r["status"] == "passed"]
    assert len(ran) >= 45, [r["check_name"] for r in results]
    assert {r["check_name"] for r in results if r["status"] == "xfail"} <= set(expected)


def test_predictions_do_not_depend_on_batch_order_beyond_float32_rounding():
    # what the two expected failures relax: the same sample, another row of the batch
    X, k = blobs()
    clf = BSNNClassifier(width=16, epochs=5).fit(X, k)
    idx = np.random.default_rng(0).permutation(len(X))
    a, b = clf.predict_proba(X)[idx], clf.predict_proba(X[idx])
    assert np.allclose(a, b, rtol=1e-5, atol=1e-6)
    assert np.array_equal(clf.predict(X)[idx], clf.predict(X[idx]))


def test_labels_of_any_kind_round_trip():
    X, k = blobs()
    for labels in (np.array(["cat", "dog", "emu"])[k], k + 1, (k * 10 - 7).astype(float)):
        clf = BSNNClassifier(width=16, epochs=15, lr=0.05).fit(X, labels)
        assert list(clf.classes_) == sorted(set(labels.tolist()))
        assert clf.n_features_in_ == 4 and clf.model_.outputs == 3
        pred = clf.predict(X)
        assert pred.dtype == labels.dtype and set(pred) <= set(labels)
        assert clf.score(X, labels) > 0.9
        p = clf.predict_proba(X)
        assert p.shape == (len(X), 3) and np.allclose(p.sum(axis=1), 1.0, atol=1e-12)
        assert np.array_equal(clf.classes_[p.argmax(axis=1)], pred)
        # softmax of the network's logits, in classes_ order
        z = clf.model_.predict(X.astype(np.float32)).astype(np.float64)
        assert np.allclose(np.log(p), z - z.max(1, keepdims=True)
                           - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)))
    with pytest.raises(ValueError, match="at least 2 classes"):
        BSNNClassifier().fit(X, np.zeros(len(X)))


def test_params_clone_and_grid_search():
    X, k = blobs()
    clf = BSNNClassifier(width=8, depth=1, epochs=5, optimizer="adam", lr=1e-2, random_state=3)
    assert clone(clf).get_params() == clf.get_params()
    assert clf.set_params(width=12).width == 12
    grid = GridSearchCV(clf, {"width": [4, 16], "lr": [1e-3, 3e-2]}, cv=3).fit(X, k)
    assert grid.best_params_["width"] in (4, 16) and grid.best_score_ > 0.8
    means = grid.cv_results_["mean_test_score"]
    assert grid.best_score_ == means.max()


def test_pipeline_and_cross_val_score_in_two_processes():
    X, k = blobs(seed=1)
    X = X * 50 + 300  # badly scaled: the StandardScaler in the pipeline fixes it
    pipe = make_pipeline(StandardScaler(), BSNNClassifier(width=16, epochs=10, lr=0.05, random_state=1))
    serial = cross_val_score(pipe, X, k, cv=4, n_jobs=1)
    parallel = cross_val_score(pipe, X, k, cv=4, n_jobs=2)  # pickles the estimator into workers
    assert np.array_equal(serial, parallel)  # same seeds: the same networks, bit for bit
    assert serial.mean() > 0.9


def test_partial_fit_continues_like_one_fit():
    X, k = blobs()
    whole = BSNNClassifier(width=16, epochs=3, random_state=5).fit(X, k)
    parts = BSNNClassifier(width=16, epochs=3, random_state=5)
    for _ in range(3):
        parts.partial_fit(X, k, classes=[0, 1, 2])
    assert parts.n_epochs_ == 3 and whole.n_epochs_ == 3
    assert np.array_equal(parts.model_.predict(X.astype(np.float32)),
                          whole.model_.predict(X.astype(np.float32)))
    with pytest.raises(ValueError, match="features"):
        parts.partial_fit(X[:, :3], k)


def test_random_state_instance_draws_once_per_fit():
    X, k = blobs()
    a = BSNNClassifier(width=8, epochs=2, random_state=np.random.RandomState(7))
    for _ in range(3):
        a.partial_fit(X, k, classes=[0, 1, 2])
    b = BSNNClassifier(width=8, epochs=3, random_state=a._fit_seed).fit(X, k)
    assert np.array_equal(a.predict_proba(X), b.predict_proba(X))


def test_fitted_estimator_pickles():
    X, k = blobs()
    clf = BSNNClassifier(width=16, epochs=5, validation_split=0.2).fit(X, k)
    assert len(clf.history_["val_loss"]) == 5
    back = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.model_._ptr != clf.model_._ptr


def test_regressor_one_and_several_targets():
    rng = np.random.default_rng(2)
    X = rng.uniform(-2, 2, size=(500, 3))
    y = np.sin(X[:, 0]) * 10 + X[:, 1] ** 2 + 100  # far from mean 0 / unit scale
    reg = BSNNRegressor(width=32, depth=2, epochs=60, optimizer="adam", lr=3e-3).fit(X, y)
    assert reg.predict(X).shape == (500,) and reg.n_outputs_ == 1
    assert reg.score(X, y) > 0.9
    Y = np.stack([y, -3 * X[:, 2]], axis=1)
    multi = BSNNRegressor(width=32, epochs=60, optimizer="adam", lr=3e-3, loss="huber").fit(X, Y)
    assert multi.predict(X).shape == (500, 2) and multi.score(X, Y) > 0.9
    with pytest.raises(ValueError, match="loss"):
        BSNNRegressor(loss="hinge").fit(X, y)


def test_bsnn_imports_without_sklearn_module():
    # scikit-learn stays optional: the package itself never imports it.
    import subprocess
    import sys
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "import bsnn\n"
            "try:\n    import bsnn.sklearn\nexcept ImportError as e:\n    print('ImportError', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "ImportError bsnn.sklearn needs scikit-learn" in out
    assert bsnn.MLP  # the rest of the package is there
