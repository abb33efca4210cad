#!/usr/bin/env bash
# The gettext catalogues of every package: src/regia/<package>/locale/<lang>/LC_MESSAGES/<package>.po
#
#   scripts/messages.sh update    pybabel extract (per package) + update: keys the code uses and the catalogue
#                                 lacks are added with an empty text (fill it in both languages); keys no code
#                                 uses are dropped. `make messages` runs this.
#   scripts/messages.sh compile   pybabel compile every catalogue into its .mo (`make install` runs this;
#                                 .mo files are build products, never committed)
#   scripts/messages.sh init PKG  start the catalogues of a package that has none yet
#
# A key belongs to the package whose catalogue defines it: a template of one package may use another's keys
# (the layout's `nav.home`), and those are not copied into its own catalogue.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
LANGS=(it en)
packages() { for d in src/regia/*/locale; do basename "$(dirname "$d")"; done; }

case "${1:-}" in
  compile)
    for pkg in $(packages); do
      "$BIN/pybabel" -q compile -d "src/regia/$pkg/locale" -D "$pkg"
    done
    ;;
  init)
    pkg="${2:?package name}"
    mkdir -p "src/regia/$pkg/locale"
    pot="$(mktemp --suffix=.pot)"; trap 'rm -f "$pot"' EXIT
    "$BIN/pybabel" -q extract -F babel.cfg --no-location --sort-output -o "$pot" "src/regia/$pkg"
    for lang in "${LANGS[@]}"; do
      "$BIN/pybabel" -q init -i "$pot" -d "src/regia/$pkg/locale" -D "$pkg" -l "$lang" --no-wrap
    done
    sed -i 's/^"Plural-Forms: .*"$/"Plural-Forms: nplurals=2; plural=(n != 1);\\n"/' \
      src/regia/"$pkg"/locale/*/LC_MESSAGES/"$pkg".po
    ;;
  update)
    work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
    for pkg in $(packages); do
      "$BIN/pybabel" -q extract -F babel.cfg --no-location --sort-output -o "$work/$pkg.pot" "src/regia/$pkg"
    done
    # Keys another package defines stay there; N_() keys of regia.i18n's callers are already extracted above.
    "$BIN/python" - "$work" <<'PY'
import sys
from pathlib import Path
from babel.messages.pofile import read_po, write_po
work = Path(sys.argv[1])
owner = {}
for po in Path("src/regia").glob("*/locale/it/LC_MESSAGES/*.po"):
    with po.open("rb") as fp:
        owner.update({m.id: po.stem for m in read_po(fp) if m.id})
for pot in work.glob("*.pot"):
    with pot.open("rb") as fp:
        template = read_po(fp)
    for message in list(template):
        if message.id and owner.get(message.id, pot.stem) != pot.stem:
            del template[message.id]
    with pot.open("wb") as fp:
        write_po(fp, template, omit_header=False)
PY
    for pkg in $(packages); do
      "$BIN/pybabel" -q update -i "$work/$pkg.pot" -d "src/regia/$pkg/locale" -D "$pkg" --no-fuzzy-matching --ignore-obsolete \
        --no-wrap --ignore-pot-creation-date
    done
    ;;
  *) echo "usage: $0 update|compile|init PACKAGE" >&2; exit 2 ;;
esac
