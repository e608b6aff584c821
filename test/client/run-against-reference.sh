#!/bin/sh
# Runs the SDK and CLI tests against a real Placement (by default the reference at localhost:8000,
# noauth2) instead of the in-process Berth. Not part of the default `vitest run`.
set -e
cd "$(dirname "$0")/../.."
BERTH_SDK_TARGET="${1:-http://localhost:8000}" exec npx vitest run test/client/ test/cli/
