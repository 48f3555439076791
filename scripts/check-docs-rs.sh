#!/usr/bin/env bash
# .cargo/config.toml sets DOCS_RS=1 for every build script of this workspace, so that
# risc0-circuit-recursion writes an empty archive instead of downloading its recursion programs.
# That is safe only while no other crate in Cargo.lock changes what it does under DOCS_RS (some
# skip compiling native code, which would break c-kzg or blst). This fails if another crate's
# sources mention it.
set -euo pipefail
cd "$(dirname "$0")/.."
allowed="risc0-circuit-recursion"
cargo metadata --format-version 1 --locked --all-features \
  | python3 -c '
import json, os, sys
meta = json.load(sys.stdin)
for p in meta["packages"]:
    if p["source"] is not None:
        print(p["name"], os.path.dirname(p["manifest_path"]))
' | while read -r name dir; do
  if grep -rqs --include='*.rs' --include='*.toml' --include='*.c' --include='*.h' DOCS_RS "$dir"; then
    if [[ "$name" != "$allowed" ]]; then
      echo "crate $name ($dir) reads DOCS_RS, which .cargo/config.toml sets for every build" >&2
      exit 1
    fi
    echo "ok: only $name reads DOCS_RS"
  fi
done
