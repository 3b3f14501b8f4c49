#!/usr/bin/env bash
# Builds the Pulumi CLI and the Node.js language host from the Go module proxy and caches them.
# Prints the directory holding `pulumi` and `pulumi-language-nodejs` on stdout.
#
# Why two wrapper modules: pulumi's own go.mod files carry replace directives that only work inside
# its repository, so we build the main packages from small modules of our own. The Node.js language
# host became a separate, untagged module in 2023 that the module proxy here does not serve; up to
# sdk v3.68.0 it was a package of sdk/v3, so it is built from there. It only launches
# `@pulumi/pulumi/cmd/run` from the program's node_modules, a protocol that has stayed stable. That
# host reads the project's runtime options (typescript, nodeargs, tsconfig) as flags, which this engine
# no longer passes: langhost-options/main.go, installed as pulumi-language-nodejs, passes them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"

PULUMI_VERSION=v3.248.0
LANGHOST_SDK_VERSION=v3.68.0
key=$(content_key "$here/build-pulumi-cli.sh" "$here/langhost-options/main.go")
out="$KH_CACHE/pulumi-cli-$PULUMI_VERSION-$key"
if [ -x "$out/bin/pulumi" ] && [ -x "$out/bin/pulumi-language-nodejs" ] && [ -x "$out/bin/langhost-nodejs-$LANGHOST_SDK_VERSION" ]; then
  echo "$out/bin"; exit 0
fi
command -v go >/dev/null || die "go is required to build the Pulumi CLI"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cli" "$work/langhost" "$work/options" "$out.tmp/bin"

cat > "$work/cli/go.mod" <<MOD
module kernelhardening.local/pulumi-cli

go 1.25.11

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
cat > "$work/langhost/go.mod" <<MOD
module kernelhardening.local/pulumi-langhost

go 1.20

require github.com/pulumi/pulumi/sdk/v3 $LANGHOST_SDK_VERSION
MOD

cat > "$work/options/go.mod" <<MOD
module kernelhardening.local/langhost-options

go 1.25.11

require github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
MOD
cp "$here/langhost-options/main.go" "$work/options/"

export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
ver_flag="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
log "building pulumi $PULUMI_VERSION from the Go module proxy (first time: several minutes)"
( cd "$work/cli" && go get github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$PULUMI_VERSION >&2 \
  && with_progress "go build pulumi" go build -trimpath -ldflags "-s -w $ver_flag" -o "$out.tmp/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2 )
log "building pulumi-language-nodejs (sdk $LANGHOST_SDK_VERSION)"
( cd "$work/langhost" && go get github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs@$LANGHOST_SDK_VERSION >&2 \
  && with_progress "go build pulumi-language-nodejs" go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANGHOST_SDK_VERSION" -o "$out.tmp/bin/langhost-nodejs-$LANGHOST_SDK_VERSION" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs >&2 )
log "building its runtime-options shim (pulumi-language-nodejs)"
( cd "$work/options" && go mod tidy >&2 \
  && go build -trimpath -ldflags "-s -w -X main.realHost=langhost-nodejs-$LANGHOST_SDK_VERSION" -o "$out.tmp/bin/pulumi-language-nodejs" . >&2 )
rm -rf "$out"; mv "$out.tmp" "$out"
log "pulumi CLI ready in $out/bin"
echo "$out/bin"
