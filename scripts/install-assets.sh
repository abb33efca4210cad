#!/usr/bin/env bash
# Install the web UI's front-end assets from the npm registry (versions pinned in package.json and
# package-lock.json) and copy the files the pages use into src/regia/web/static/vendor/ (git-ignored).
#
#   scripts/install-assets.sh            npm ci, then copy
#   scripts/install-assets.sh --no-npm   copy from an existing node_modules only
#
# The pages still render without these files (unstyled, no map, no live search; /docs then loads Swagger UI
# from its CDN); /health never needs them.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_MODULES="$ROOT/node_modules"
VENDOR="$ROOT/src/regia/web/static/vendor"

if [[ "${1:-}" != "--no-npm" ]]; then
    command -v npm >/dev/null || { echo "install-assets: npm not found (install Node.js >= 18)" >&2; exit 1; }
    (cd "$ROOT" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
[[ -d "$NODE_MODULES" ]] || { echo "install-assets: $NODE_MODULES missing; run without --no-npm" >&2; exit 1; }

# Build in a staging folder, then swap it in, so a failed copy never leaves half a vendor folder.
STAGE="$(mktemp -d "$ROOT/src/regia/web/static/.vendor.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
chmod 755 "$STAGE"  # mktemp makes it private; the web server may run as another user

copy() {  # copy <package-relative source> <vendor-relative destination folder>
    local src="$NODE_MODULES/$1" dest="$STAGE/$2"
    [[ -e "$src" ]] || { echo "install-assets: $src not found (package layout changed?)" >&2; exit 1; }
    mkdir -p "$dest"
    cp -R "$src" "$dest/"
}

copy bootstrap-italia/dist/css/bootstrap-italia.min.css      bootstrap-italia/css
copy bootstrap-italia/dist/css/bootstrap-italia.min.css.map  bootstrap-italia/css
copy bootstrap-italia/dist/js/bootstrap-italia.bundle.min.js bootstrap-italia/js
copy bootstrap-italia/dist/svg/sprites.svg                   bootstrap-italia/svg
copy bootstrap-italia/dist/fonts                             bootstrap-italia
copy bootstrap-italia/LICENSE                                bootstrap-italia
copy htmx.org/dist/htmx.min.js                               htmx
copy htmx.org/LICENSE                                        htmx
copy leaflet/dist/leaflet.js                                 leaflet
copy leaflet/dist/leaflet.css                                leaflet
copy leaflet/dist/images                                     leaflet
copy leaflet/LICENSE                                         leaflet
copy vega/build/vega.min.js                                  vega
copy vega-lite/build/vega-lite.min.js                        vega-lite
copy vega-embed/build/vega-embed.min.js                      vega-embed
copy swagger-ui-dist/swagger-ui-bundle.js                    swagger-ui
copy swagger-ui-dist/swagger-ui.css                          swagger-ui
copy swagger-ui-dist/LICENSE                                 swagger-ui
# Legacy font formats are not needed by any browser we support.
find "$STAGE/bootstrap-italia/fonts" \( -name '*.eot' -o -name '*.svg' -o -name '*.ttf' \) -delete

# Record what was copied: package name and the exact version installed.
for pkg in bootstrap-italia htmx.org leaflet vega vega-lite vega-embed swagger-ui-dist; do
    echo "$pkg $(node -p "require(process.argv[1]).version" "$NODE_MODULES/$pkg/package.json")"
done > "$STAGE/VERSIONS"

rm -rf "$VENDOR"
mv "$STAGE" "$VENDOR"
trap - EXIT
# The JSON-LD contexts of the verifiable credentials (regia.certification), from their npm packages.
node "$ROOT/scripts/export-jsonld-contexts.mjs"
echo "install-assets: front-end assets in ${VENDOR#"$ROOT"/}:"
sed 's/^/  /' "$VENDOR/VERSIONS"
