#!/usr/bin/env bash
# Generates the SDKs (sdk/nodejs, sdk/python, sdk/go, or under OUT_DIR) from schema.json with Pulumi's
# own code generators (tools/gen-sdk, built and cached by build-sdk-tools.sh). Never edit their output.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${KH_SDK_TOOLS_DIR:-$(bash "$here/build-sdk-tools.sh")}"
exec "$bin/gen-sdk" "$here/../schema.json" "${1:-$here/../sdk}"
