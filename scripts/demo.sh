#!/usr/bin/env bash
# The quick start's main job: boot a local Debian 12 VM (the post's 6.1 kernel) and run a real
# `pulumi up` of the quickstart stack against it, showing the post's demonstration before and after.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/install-deps.sh"
exec npx tsx "$here/demo.ts"
