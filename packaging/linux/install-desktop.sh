#!/usr/bin/env bash
# Register VisualNN with the Linux desktop for the current user: menu entry, icon, and the .vnn
# file type so a double-click opens the project. Nothing outside the user's data dir is touched.
#
# Usage: packaging/linux/install-desktop.sh [--exec /path/to/visualnn] [--uninstall]
#   --exec       the command the menu entry runs (default: `visualnn` on PATH, or the bundle's
#                dist/visualnn/visualnn when it has been built)
#   --uninstall  remove everything this script installed
# Honours XDG_DATA_HOME (default ~/.local/share).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ICONS="$HERE/../icons"
DATA="${XDG_DATA_HOME:-$HOME/.local/share}"
EXEC=""
UNINSTALL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --exec) EXEC="$2"; shift 2 ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install-desktop.sh: unknown option $1; use --exec PATH or --uninstall." >&2; exit 2 ;;
  esac
done

SIZES="16 24 32 48 64 128 256 512"
refresh() {
  command -v update-mime-database >/dev/null && update-mime-database "$DATA/mime" >/dev/null 2>&1 || true
  command -v update-desktop-database >/dev/null && update-desktop-database "$DATA/applications" >/dev/null 2>&1 || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$DATA/icons/hicolor" >/dev/null 2>&1 || true
}

if [ "$UNINSTALL" = 1 ]; then
  rm -f "$DATA/applications/visualnn.desktop" "$DATA/mime/packages/visualnn-mime.xml"
  for s in $SIZES; do
    rm -f "$DATA/icons/hicolor/${s}x${s}/apps/visualnn.png" \
          "$DATA/icons/hicolor/${s}x${s}/mimetypes/application-x-visualnn-project.png"
  done
  rm -f "$DATA/icons/hicolor/scalable/apps/visualnn.svg" \
        "$DATA/icons/hicolor/scalable/mimetypes/application-x-visualnn-project.svg"
  refresh
  echo "VisualNN desktop integration removed from $DATA"
  exit 0
fi

if [ -z "$EXEC" ]; then
  bundle="$HERE/../../dist/visualnn/visualnn"
  if [ -x "$bundle" ]; then EXEC="$(cd "$(dirname "$bundle")" && pwd)/visualnn"
  elif command -v visualnn >/dev/null; then EXEC="$(command -v visualnn)"
  else EXEC="visualnn"; fi
fi
for s in $SIZES; do
  [ -f "$ICONS/visualnn-$s.png" ] || { echo "install-desktop.sh: $ICONS/visualnn-$s.png is missing; run python packaging/render_icons.py first." >&2; exit 1; }
done

mkdir -p "$DATA/applications" "$DATA/mime/packages"
# Quote the command so paths with spaces survive (Desktop Entry spec, "Exec key").
sed -e "s|^Exec=.*|Exec=\"$EXEC\" %f|" -e "s|^TryExec=.*|TryExec=$EXEC|" \
  "$HERE/visualnn.desktop" > "$DATA/applications/visualnn.desktop"
cp "$HERE/visualnn-mime.xml" "$DATA/mime/packages/visualnn-mime.xml"
for s in $SIZES; do
  for kind in apps mimetypes; do mkdir -p "$DATA/icons/hicolor/${s}x${s}/$kind"; done
  cp "$ICONS/visualnn-$s.png" "$DATA/icons/hicolor/${s}x${s}/apps/visualnn.png"
  cp "$ICONS/visualnn-$s.png" "$DATA/icons/hicolor/${s}x${s}/mimetypes/application-x-visualnn-project.png"
done
mkdir -p "$DATA/icons/hicolor/scalable/apps" "$DATA/icons/hicolor/scalable/mimetypes"
cp "$ICONS/visualnn.svg" "$DATA/icons/hicolor/scalable/apps/visualnn.svg"
cp "$ICONS/visualnn.svg" "$DATA/icons/hicolor/scalable/mimetypes/application-x-visualnn-project.svg"
refresh
if command -v xdg-mime >/dev/null; then
  XDG_DATA_HOME="$DATA" xdg-mime default visualnn.desktop application/x-visualnn-project >/dev/null 2>&1 || true
fi
echo "VisualNN desktop integration installed in $DATA (runs: $EXEC)"
