#!/usr/bin/env bash
# Install the system packages the tests use, from Debian's registry, when they are missing:
# chromium (browser tests) and postgresql (tests on the production engine). Needs root; otherwise
# it says what is missing and leaves the decision to the caller.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "note: not root, cannot install: ${missing[*]} (browser/PostgreSQL tests will be skipped)" >&2
  exit 0
fi
echo "installing ${missing[*]} from Debian packages..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
