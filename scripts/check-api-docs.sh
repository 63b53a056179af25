#!/usr/bin/env bash
# The API reference, really generated and checked: `swift package generate-documentation --target CkptKit`
# leaves out every symbol CkptKit re-exports with @_exported (swift-docc-plugin#113), so the pages are made
# per module (the modules CkptKit re-exports, read from Sources/CkptKit/CkptKit.swift), and every public
# top-level type a module declares must have its page in that module's archive. No network: the plugin is
# a resolved package dependency. Archives go to .build/plugins/Swift-DocC/outputs/<Module>.doccarchive.
set -euo pipefail
cd "$(dirname "$0")/.."
modules=$(sed -n 's/^@_exported import \(Ckpt[A-Za-z]*\)$/\1/p' Sources/CkptKit/CkptKit.swift)
[ -n "$modules" ] || { echo "check-api-docs: no @_exported modules in Sources/CkptKit/CkptKit.swift" >&2; exit 1; }
args=()
for m in $modules; do args+=(--target "$m"); done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! swift package generate-documentation "${args[@]}" >"$log" 2>&1; then
    cat "$log" >&2
    echo "check-api-docs: generate-documentation failed" >&2
    exit 1
fi
out=.build/plugins/Swift-DocC/outputs
missing=0 checked=0
for m in $modules; do
    dir="$out/$m.doccarchive/data/documentation/$(echo "$m" | tr '[:upper:]' '[:lower:]')"
    # Top-level public types: `public [final|indirect] struct|enum|class|protocol|actor Name` at column 0.
    types=$(grep -rhoE '^public (final |indirect )?(struct|enum|class|protocol|actor) [A-Za-z_][A-Za-z0-9_]*' \
        "Sources/$m" | awk '{print $NF}' | sort -u)
    for t in $types; do
        checked=$((checked + 1))
        page="$dir/$(echo "$t" | tr '[:upper:]' '[:lower:]').json"
        if [ ! -f "$page" ]; then
            echo "check-api-docs: $m.$t has no page ($page)" >&2
            missing=$((missing + 1))
        fi
    done
done
if [ "$missing" -gt 0 ]; then
    echo "check-api-docs: $missing of $checked public types have no generated page" >&2
    exit 1
fi
echo "check-api-docs: $checked public types in $(echo $modules | wc -w) modules, each with its generated page"
