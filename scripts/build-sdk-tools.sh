#!/usr/bin/env bash
# Builds, next to the Pulumi CLI and from the same Go module proxy, the tools that make and use the
# SDKs: tools/gen-sdk (Pulumi's own code generators at the CLI's version, pkg/v3/codegen) and the
# Python language host with its pulumi-language-python-exec helper (a package of sdk v3.68.0, like
# the Node.js host: see build-pulumi-cli.sh). Cached, keyed by content; prints the bin directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
tool="$here/../tools/gen-sdk"

LANGHOST_SDK_VERSION=v3.68.0
key=$(content_key "$here/build-sdk-tools.sh" "$tool/main.go" "$tool/go.mod" "$tool/go.sum")
out="$KH_CACHE/sdk-tools-$key"
if [ -x "$out/bin/gen-sdk" ] && [ -x "$out/bin/pulumi-language-python" ]; then
  echo "$out/bin"; exit 0
fi
command -v go >/dev/null || die "go is required to build the SDK generator"
work=$(mktemp -d)
trap 'rm -rf "$work" "$out.tmp"' EXIT
mkdir -p "$work/langhost" "$out.tmp/bin"
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0

log "building tools/gen-sdk (Pulumi's code generators from the Go module proxy)"
( cd "$tool" && with_progress "go build gen-sdk" go build -trimpath -ldflags "-s -w" -o "$out.tmp/bin/gen-sdk" . >&2 )

cat > "$work/langhost/go.mod" <<MOD
module kernelhardening.local/pulumi-langhost-python

go 1.20

require github.com/pulumi/pulumi/sdk/v3 $LANGHOST_SDK_VERSION
MOD
log "building pulumi-language-python (sdk $LANGHOST_SDK_VERSION)"
pkg=github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python
( cd "$work/langhost" && go get "$pkg@$LANGHOST_SDK_VERSION" >&2 \
  && with_progress "go build pulumi-language-python" go build -trimpath \
     -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGHOST_SDK_VERSION" \
     -o "$out.tmp/bin/pulumi-language-python" "$pkg" >&2 )
src=$(cd "$work/langhost" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$src/python/cmd/pulumi-language-python-exec" "$out.tmp/bin/pulumi-language-python-exec"
rm -rf "$out"; mv "$out.tmp" "$out"
log "SDK tools ready in $out/bin"
echo "$out/bin"
