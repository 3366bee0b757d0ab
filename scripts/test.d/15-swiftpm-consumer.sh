#!/usr/bin/env bash
# A Swift package that depends on this one the way a user's would, through
# `.package(url: "file://…", from: "0.1.0")` on a tagged temporary clone of HEAD, builds
# and trains a small network. SwiftPM refuses a remote dependency whose targets use
# unsafe flags, so this is also the check that the engine target has none. Offline: the
# clone's own dependency (swift-argument-parser) resolves through the same git mirror
# as the main package's.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$(mktemp -d /tmp/bsnn-consumer.XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's/^#define BSNN_VERSION_STRING "\(.*\)"$/\1/p' include/bsnn.h)
fail() { echo "FAIL  swiftpm-consumer ($1)"; tail -25 "$work/log" 2>/dev/null | sed 's/^/      /'; echo "swiftpm-consumer: 0 passed, 1 failed"; exit 1; }

git clone -q "$root" "$work/bsnn" >"$work/log" 2>&1 || fail "clone"
git -C "$work/bsnn" tag -l | xargs -r git -C "$work/bsnn" tag -d >/dev/null
git -C "$work/bsnn" tag "$version" || fail "tag"
mkdir -p "$work/consumer/Sources/consumer"
cat >"$work/consumer/Package.swift" <<SWIFT
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "consumer",
    dependencies: [.package(url: "file://$work/bsnn", from: "$version")],
    targets: [.executableTarget(name: "consumer", dependencies: [.product(name: "BSNN", package: "bsnn")])],
    swiftLanguageModes: [.v5])
SWIFT
cat >"$work/consumer/Sources/consumer/main.swift" <<'SWIFT'
import BSNN
import Glibc

// Three separable classes in 4 dimensions; the loss after 20 epochs must fall well below
// its start, and a second identical run must give bit-identical weights.
var x = [Float](), y = [Int32]()
var rng = RandomGenerator(seed: 1)
for i in 0..<120 {
    for j in 0..<4 { x.append(Float(rng.nextGaussian() * 0.5 + (j % 3 == i % 3 ? 2 : 0))) }
    y.append(Int32(i % 3))
}
let data = try Dataset(features: x, labels: y, featureCount: 4, classCount: 3)
var weights: [[Float]] = []
var losses: [Double] = []
for _ in 0..<2 {
    let model = try MLP(MLPConfiguration(inputs: 4, width: 16, depth: 3, outputs: 3, activation: try .builtin("tanh"), seed: 2))
    let trainer = try Trainer(model: model, configuration: TrainingConfiguration(batchSize: 16, seed: 3))
    let records = try trainer.fit(data, epochs: 20)
    losses = [records[0].trainLoss, records[19].trainLoss]
    weights.append(try model.weights(layer: 1))
}
guard losses[1] < 0.5 * losses[0], weights[0] == weights[1] else {
    print("consumer: loss \(losses), replay identical: \(weights[0] == weights[1])")
    exit(1)
}
print("consumer: loss \(losses[0]) -> \(losses[1])")
SWIFT
( cd "$work/consumer" && swift build >"$work/log" 2>&1 ) || fail "swift build"
out=$("$work/consumer/.build/debug/consumer" 2>&1) || { echo "$out" >"$work/log"; fail "run"; }
echo "ok    swiftpm-consumer: $out"
echo "swiftpm-consumer: 1 passed, 0 failed"
