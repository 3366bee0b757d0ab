#!/usr/bin/env bash
# The engine's XCTest suite, built optimized (with testability) so the depth-200
# experiments of the paper run in seconds rather than minutes. Its own scratch path:
# -enable-testing in .build would force the other suites' plain release build to redo
# everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
log=$(mktemp /tmp/bsnn-swift-test.XXXXXX.log)
swift build --scratch-path .build-test -c release --build-tests -Xswiftc -enable-testing 2>&1 | grep -E "error:|Build complete" || true
swift test --scratch-path .build-test -c release -Xswiftc -enable-testing 2>&1 | tee "$log" | grep -E "error:|failed|Executed .* tests" | tail -15
grep -q "with 0 failures" "$log" && ! grep -q "error:" "$log"
