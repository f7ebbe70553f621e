#!/usr/bin/env bash
# Makes NotoSansCJKsc-Regular.otf, the one CJK face mastery embeds, from Debian's
# fonts-noto-cjk 1:20220127+repack1-1 (NotoSansCJK-Regular.ttc, SHA-256 b76b0433...690a).
# It takes the collection's Simplified Chinese face (number 2) whole: every one of its 65,535
# glyphs' characters (44,810 code points: the CJK ideographs with extensions, kana, hangul),
# its layout features (including `locl`, so that text marked Japanese, Korean or Traditional
# Chinese gets its own regional forms), but without hinting, which a PDF does not need:
# 16.4 MB becomes 13.3 MB. The output is the same bytes on every run (SHA-256 in SOURCES.md).
#
#   fonts/noto/make-cjk.sh   (needs fonts-noto-cjk installed and python3)
set -euo pipefail
cd "$(dirname "$0")"
source=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
echo "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a  $source" | sha256sum --check
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check fonttools==4.68.0
"$venv/bin/pyftsubset" "$source" --font-number=2 --unicodes='*' --layout-features='*' --no-hinting \
  --glyph-names --notdef-outline --name-IDs='*' --name-languages='*' \
  --output-file=NotoSansCJKsc-Regular.otf
sha256sum NotoSansCJKsc-Regular.otf
