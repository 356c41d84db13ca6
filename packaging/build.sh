#!/usr/bin/env bash
# Build the one-folder VisualNN bundle with PyInstaller: dist/visualnn/visualnn
# Usage: packaging/build.sh [--python PATH]   (default: .venv/bin/python)
# Prints the build time and bundle size; exits non-zero when the bundle does not start.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
if [ "${1:-}" = "--python" ]; then PY="$2"; fi
if ! "$PY" -c "import PyInstaller" 2>/dev/null; then
  echo "build.sh: PyInstaller is missing; install it with: $PY -m pip install 'pyinstaller>=6.10'" >&2
  exit 2
fi
start=$(date +%s)
"$PY" packaging/render_icons.py >/dev/null
"$PY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/visualnn.spec
end=$(date +%s)
bundle=dist/visualnn
exe="$bundle/visualnn"
[ -x "$exe" ] || exe="$bundle/visualnn.exe"
size=$(du -sh "$bundle" | cut -f1)
echo "build.sh: built $bundle in $((end - start)) s; bundle size $size"
QT_QPA_PLATFORM=offscreen "$exe" --version
