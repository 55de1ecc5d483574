#!/usr/bin/env bash
# Proves the documented install path: `npm pack` the clone, install the tarball globally into a
# temporary prefix (the package is not on the registry), then run the installed binary the way a
# user would, from outside the clone: `smtp-probe explain 550` must exit 0 and explain the code.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/smtp-probe-pack.XXXXXX)
trap 'rm -rf "$work"' EXIT
# npm pack runs the build (prepare) first; its last line is the tarball's name.
tgz=$(npm pack --silent --pack-destination "$work" | tail -n 1)
files=$(tar -tzf "$work/$tgz")
echo "pack-install: packed $tgz ($(du -k "$work/$tgz" | cut -f1) KiB, $(printf '%s\n' "$files" | wc -l) files)"
for f in package/LICENSE package/README.md package/bin/smtp-probe.js package/dist/cli.js package/data/reply-codes.json package/man/smtp-probe.1; do
  printf '%s\n' "$files" | grep -qx "$f" || { echo "pack-install: $f is missing from the tarball" >&2; exit 1; }
done
dev=$(printf '%s\n' "$files" | grep -E '^package/(src|tests|fixtures|node_modules|\.ci)/' || true)
[ -z "$dev" ] || { echo "pack-install: the tarball holds development files: $(printf '%s\n' "$dev" | head -3)" >&2; exit 1; }
npm install -g --no-audit --no-fund --prefix "$work/prefix" "$work/$tgz" >/dev/null
cd "$work"
out=$(env -i PATH="$work/prefix/bin:$PATH" HOME="$work" LANG=C NO_COLOR=1 smtp-probe explain 550) || { echo "pack-install: smtp-probe explain 550 failed (exit $?)" >&2; exit 1; }
printf '%s\n' "$out" | grep -q '^550' || { echo "pack-install: unexpected output of smtp-probe explain 550:" >&2; printf '%s\n' "$out" | head -5 >&2; exit 1; }
[ -f "$work/prefix/share/man/man1/smtp-probe.1" ] || { echo "pack-install: the man page was not installed under share/man/man1" >&2; exit 1; }
version=$(env -i PATH="$work/prefix/bin:$PATH" HOME="$work" smtp-probe --version)
echo "pack-install: installed into a temporary prefix; smtp-probe $version explains 550: $(printf '%s\n' "$out" | head -n 1)"
