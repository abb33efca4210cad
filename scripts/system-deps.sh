#!/usr/bin/env bash
# Install the system packages the tests use, from Debian's registry, when they are missing:
# chromium (browser tests), postgresql (tests on the production engine) and a Java runtime, 17 or newer
# (the Spark engine of `regia batch`: PySpark 4). Needs root; otherwise it says what is missing and leaves
# the decision to the caller.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v npm >/dev/null 2>&1 || missing+=(npm)
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
need_java=0
if ! command -v java >/dev/null 2>&1 || [ "$(java_major || echo 0)" -lt 17 ] 2>/dev/null; then
  need_java=1
  missing+=(java)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "note: not root, cannot install: ${missing[*]} (browser, PostgreSQL or Spark tests will be skipped)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
if [ "$need_java" = 1 ]; then
  # Debian's default JRE (17 on bookworm, 21 on trixie) when it is 17 or newer, else openjdk-17
  missing=("${missing[@]/java}")
  if apt-cache show default-jre-headless 2>/dev/null | grep -q "Depends: openjdk-\(1[7-9]\|[2-9][0-9]\)-"; then
    missing+=(default-jre-headless)
  else
    missing+=(openjdk-17-jre-headless)
  fi
fi
echo "installing ${missing[*]} from Debian packages..." >&2
apt-get install -y -qq --no-install-recommends ${missing[@]} >&2
