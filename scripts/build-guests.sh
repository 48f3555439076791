#!/usr/bin/env bash
# Builds the RISC Zero guests in guests/ for the zkVM and copies their ELFs to guests/elf/.
#
#   bash scripts/build-guests.sh           build, then copy the ELFs into guests/elf/
#   bash scripts/build-guests.sh --check   build, then fail unless the ELFs are byte for byte the
#                                          checked-in ones (so their pinned image IDs hold)
#
# No rzup: rustc ships no standard library for riscv32im-risc0-zkvm-elf, so the guests build it
# from source (-Z build-std) with Debian's Rust 1.96 (packages rustc-web, cargo-web,
# rust-web-src: installed here when missing) and link with the stable toolchain's rust-lld.
# Paths are remapped so that the ELFs do not depend on where the clone or cargo's home lives.
# About 3 CPU minutes the first time. Facts behind the flags: ../shared/notes/risc0-3.0.md.
set -euo pipefail
cd "$(dirname "$0")/../guests"

mode="${1:-build}"
debian_cargo=/usr/bin/cargo
debian_rustc=/usr/bin/rustc
if [[ ! -x "$debian_cargo" || ! -x "$debian_rustc" ]] || ! dpkg -s rust-web-src >/dev/null 2>&1; then
  echo "== installing Debian's Rust with its library source (rustc-web cargo-web rust-web-src)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    rustc-web cargo-web rust-web-src >/dev/null
fi

stable_sysroot="$(rustup run stable rustc --print sysroot)"
linker="$stable_sysroot/lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld"
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
flags=(
  -C passes=lower-atomic
  -C link-arg=-Ttext=0x00200800
  -C link-arg=--fatal-warnings
  -C panic=abort
  --cfg 'getrandom_backend="custom"'
  -C "linker=$linker"
  --remap-path-prefix "$PWD=/guests"
  --remap-path-prefix "$cargo_home=/cargo"
)
# cargo reads CARGO_ENCODED_RUSTFLAGS as flags separated by 0x1f; it also overrides the
# target-cpu=native of the workspace's .cargo/config.toml, which has no meaning for RISC-V.
CARGO_ENCODED_RUSTFLAGS="$(printf '%s\x1f' "${flags[@]}")"
export CARGO_ENCODED_RUSTFLAGS="${CARGO_ENCODED_RUSTFLAGS%$'\x1f'}"

target=riscv32im-risc0-zkvm-elf
echo "== building the guests for $target"
RUSTC="$debian_rustc" RUSTC_BOOTSTRAP=1 "$debian_cargo" build --release --locked \
  --target "$target" \
  -Z build-std=alloc,core,proc_macro,panic_abort,std \
  -Z build-std-features=compiler-builtins-mem

# Every guest of the workspace (a new member of guests/Cargo.toml is built and copied too).
mapfile -t guests < <("$debian_cargo" metadata --no-deps --format-version 1 --locked \
  | python3 -c 'import json, sys; print("\n".join(p["name"] for p in json.load(sys.stdin)["packages"]))')

status=0
mkdir -p elf
for guest in "${guests[@]}"; do
  built="target/$target/release/$guest"
  if [[ "$mode" == "--check" ]]; then
    if [[ ! -e "elf/$guest.elf" ]]; then
      echo "skipped: guests/$guest has no checked-in ELF"
    elif cmp -s "$built" "elf/$guest.elf"; then
      echo "ok: elf/$guest.elf is reproduced by its source"
    else
      echo "MISMATCH: elf/$guest.elf differs from a rebuild of guests/$guest" >&2
      status=1
    fi
  else
    cp "$built" "elf/$guest.elf"
    echo "wrote guests/elf/$guest.elf ($(stat -c %s "elf/$guest.elf") bytes)"
  fi
done
exit "$status"
