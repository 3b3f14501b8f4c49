#!/usr/bin/env bash
# npm run dist: the release artifacts, versioned by package.json's version, in dist/release/:
#   pulumi-resource-kernelhardening-v$V-linux-amd64.tar.gz  the plugin: one executable (Node's single
#       executable application: the bundled provider with its production dependencies and the Node.js
#       runtime), schema.json and the remote .sh scripts; needs nothing else on the host running Pulumi
#   kernelhardening-pulumi-$V.tgz                           the TypeScript SDK (npm pack)
#   pulumi_kernelhardening-$V-py3-none-any.whl              the Python SDK (with pulumi-plugin.json)
#   kernelhardening-go-sdk-v$V.tar.gz                       the Go module (sdk/go)
# The artifacts are cached outside the repository, keyed by the content of everything they are made
# of, so a second run with nothing changed takes seconds. Prints the release folder on stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
cd "$here/.."

version=$(node -p 'require("./package.json").version')
release="dist/release"
inputs=$( { find provider sdk tools/dist -type f ! -path 'sdk/nodejs/bin/*' ! -path 'sdk/nodejs/node_modules/*' \
  ! -name '*.pyc' | LC_ALL=C sort; echo schema.json package.json package-lock.json LICENSE scripts/dist.sh; } )
# shellcheck disable=SC2086
key=$( { node --version; cat $inputs; } | sha256sum | cut -c1-16)
cache="$KH_CACHE/dist-v$version-$key"

if [ ! -f "$cache/.done" ]; then
  npx tsx schema/check.ts >&2 || die "schema.json or sdk/ is stale: run npm run schema first"
  npm run --silent build >&2
  work=$(mktemp -d)
  trap 'rm -rf "$work" "$cache.tmp"' EXIT
  rm -rf "$cache.tmp"; mkdir -p "$cache.tmp"

  log "plugin: bundling the provider (esbuild) and making a single executable (node SEA, postject)"
  plugin="$work/plugin"
  node tools/dist/bundle.js "$plugin" >&2
  cp LICENSE "$plugin/LICENSE"
  cat > "$work/sea.json" <<JSON
{ "main": "$plugin/provider.js", "output": "$work/sea.blob", "disableExperimentalSEAWarning": true, "useCodeCache": true }
JSON
  node --experimental-sea-config "$work/sea.json" >&2
  exe="$plugin/pulumi-resource-kernelhardening"
  cp "$(command -v node)" "$exe"
  chmod u+w "$exe"
  npx postject "$exe" NODE_SEA_BLOB "$work/sea.blob" --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 \
    2> >(grep -v "find string offset for section" >&2) >/dev/null
  rm "$plugin/provider.js"
  tar -czf "$cache.tmp/pulumi-resource-kernelhardening-v$version-linux-amd64.tar.gz" -C "$plugin" --owner=0 --group=0 .

  log "TypeScript SDK: npm pack"
  cp LICENSE sdk/nodejs/README.md sdk/nodejs/bin/
  npm pack --silent sdk/nodejs/bin --pack-destination "$cache.tmp" >/dev/null

  log "Python SDK: wheel"
  cp -r sdk/python "$work/python"
  # The generated pyproject names a README at the package root, where providers' builds copy it.
  cp sdk/python/pulumi_kernelhardening/README.md LICENSE "$work/python/"
  python3 -m pip wheel --quiet --no-deps --wheel-dir "$cache.tmp" "$work/python" >&2

  log "Go SDK: module source"
  tar -czf "$cache.tmp/kernelhardening-go-sdk-v$version.tar.gz" -C sdk go --owner=0 --group=0

  rm -rf "$cache"; mv "$cache.tmp" "$cache"; touch "$cache/.done"
fi
rm -rf "$release"; mkdir -p "$release"
cp "$cache"/* "$release/"
log "release artifacts in $release:"
(cd "$release" && ls -l | tail -n +2 >&2)
echo "$PWD/$release"
