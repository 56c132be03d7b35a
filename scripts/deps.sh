#!/usr/bin/env bash
# Install the Debian packages vmascope needs, if any are missing.
# Usage: scripts/deps.sh [group...]
#   groups: tree build check qemu selftest ccache llvm arm64 riscv send
#   (default: all)
. "$(dirname "$0")/lib.sh"

declare -A PKGS=(
	[tree]="git xz-utils ca-certificates"
	[build]="build-essential flex bison bc libelf-dev libssl-dev python3 rsync cpio kmod"
	# coccinelle runs the OCaml scripts of two semantic patches with
	# ocaml-nox's compiler; the docs build needs Sphinx and PyYAML.
	[check]="sparse perl python3-ply python3-git liburcu-dev coccinelle ocaml-nox python3-sphinx python3-yaml"
	[qemu]="qemu-system-x86 qemu-system-data busybox-static"
	[selftest]="qemu-system-x86 qemu-system-data busybox-static bash-static cpio"
	[ccache]="ccache"
	[llvm]="clang lld llvm"
	[arm64]="gcc-aarch64-linux-gnu qemu-system-arm"
	[riscv]="gcc-riscv64-linux-gnu"
	[send]="b4"
)
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(tree build check qemu selftest ccache llvm arm64 riscv send)

want=()
for g in "${groups[@]}"; do
	[ -n "${PKGS[$g]:-}" ] || die "unknown package group '$g'"
	# shellcheck disable=SC2206
	want+=(${PKGS[$g]})
done

missing=()
for p in "${want[@]}"; do
	[[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" == *"ok installed" ]] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	die "missing Debian packages: ${missing[*]}
  install them as root:  apt-get install ${missing[*]}
  or run this target as root (it installs them itself)"
fi
info "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || info "apt-get update failed; trying the cached lists"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	die "apt-get install ${missing[*]} failed"
