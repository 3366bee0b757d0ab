"""`bsnn train --recipe`: a preset trains exactly what its values spelled out as flags
train (byte-identical model files), an explicit flag overrides the preset's value,
--no-residual turns the deep preset's links off, --help lists the presets with their
values, and a wrong name is a usage error naming the choices."""
from test_cli import expect_error, run
from test_training_options import noise_csv


def train(tmp_path, name, *flags):
    out = tmp_path / f"{name}.safetensors"
    run("train", "--data", noise_csv(tmp_path / "train.csv", 5, 96), "--depth", 4, "--width", 16,
        "--batch", 16, "--seed", 1, "--threads", 1, "--epochs", 2, "--no-test", "--out", out, *flags)
    return out.read_bytes()


def test_a_recipe_is_its_values_spelled_out(tmp_path):
    assert train(tmp_path, "deep", "--recipe", "deep") == train(
        tmp_path, "deep-flags", "--optimizer", "adam", "--lr", 1e-3, "--residual", "--residual-scale", 0.5)
    assert train(tmp_path, "paper", "--recipe", "paper") == train(
        tmp_path, "paper-flags", "--optimizer", "momentum", "--lr", 1e-4, "--momentum", 0.5)


def test_explicit_flags_override_the_recipe(tmp_path):
    assert train(tmp_path, "lr", "--recipe", "deep", "--lr", 5e-4) == train(
        tmp_path, "lr-flags", "--optimizer", "adam", "--lr", 5e-4, "--residual", "--residual-scale", 0.5)
    assert train(tmp_path, "nores", "--recipe", "deep", "--no-residual") == train(
        tmp_path, "nores-flags", "--optimizer", "adam", "--lr", 1e-3)
    assert train(tmp_path, "deep", "--recipe", "deep") != train(tmp_path, "nores2", "--recipe", "deep", "--no-residual")


def test_help_lists_the_presets_and_a_wrong_name_is_a_usage_error(tmp_path):
    help_text = " ".join(run("train", "--help").stdout.split())
    assert "paper: momentum lr 0.0001, momentum 0.5, no clipping, no residual links" in help_text
    assert "deep: adam lr 0.001, no clipping, residual links, α = 1/sqrt(depth)" in help_text
    message = expect_error(64, "train", "--data", noise_csv(tmp_path / "d.csv", 1, 32), "--recipe", "dep",
                           "--out", tmp_path / "m.safetensors")
    assert "paper" in message and "deep" in message
