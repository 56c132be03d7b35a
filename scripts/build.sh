#!/usr/bin/env bash
# One configuration of make check's build matrix, as the build bots build a
# posted series: scripts/build.sh NAME builds the tree with the series from
# 'make tinyconfig' + kconfig/build-NAME.config, whose comment lines say how:
#   # arch: ARCH        ARCH= of the build (x86_64, i386, arm64, ...)
#   # llvm: 1           clang, lld and the LLVM binutils (LLVM=1)
#   # cross: PREFIX     a cross compiler (CROSS_COMPILE=PREFIX, gcc)
#   # deps: GROUP...    scripts/deps.sh groups it needs besides build, ccache
#   # timed: MINUTES    make test builds it at the end, within its budget
#   # targets: T...     make targets (default: vmlinux)
#   # w1: touched       then W=1 on every object the series touches, compared
#                       with the same objects of the base tree
# Fails on a build error (modpost's included), on a fragment line that does
# not hold in the final .config, and on any compiler, linker or modpost
# warning the same configuration of the base tree does not have (the base
# is built only when the series' build has warnings at all).
# Output in build/build-NAME (incremental, through ccache); log and counts
# in build/results/build-NAME.{log,counts}.
. "$(dirname "$0")/lib.sh"

name=${1:?usage: scripts/build.sh NAME (kconfig/build-NAME.config)}
frag="$KCONFIG_DIR/build-$name.config"
[ -f "$frag" ] || die "no $frag"
arch=$(frag_key "$frag" arch)
arch=${arch:-x86_64}
llvm=$(frag_key "$frag" llvm)
cross=$(frag_key "$frag" cross)
read -r -a targets <<<"$(frag_key "$frag" targets)"
[ ${#targets[@]} -gt 0 ] || targets=(vmlinux)
w1=$(frag_key "$frag" w1)

groups=(build ccache)
[ -n "$llvm" ] && groups+=(llvm)
read -r -a extra <<<"$(frag_key "$frag" deps)"
groups+=("${extra[@]}")
"$ROOT/scripts/deps.sh" "${groups[@]}"
"$ROOT/scripts/apply.sh" >/dev/null

t=$(tree_dir)
base=$(base_rev)
results="$WORK/results"
mkdir -p "$results"
if [ -n "${KERNEL_SRC:-}" ]; then out="$t.build-$name"; else out="$WORK/build-$name"; fi
log="$results/build-$name.log"
counts="$results/build-$name.counts"
rm -f "$counts" "$results/build-$name".*
: >"$log"
passed=0 failed=0
ok() { passed=$((passed + 1)); printf 'build-%s: ok     %s\n' "$name" "$*"; }
bad() { failed=$((failed + 1)); printf 'build-%s: FAILED %s\n' "$name" "$*"; }
end() {
	printf '%s %s 0\n' "$passed" "$failed" >"$counts"
	info "build-$name: $passed passed, $failed failed ($(( $(date +%s) - start )) s); log in $log"
	if [ "$failed" -eq 0 ]; then touch "$out/.vmascope-ok"; exit 0; fi
	rm -f "$out/.vmascope-ok"
	exit 1
}
start=$(date +%s)

mk=(ARCH="$arch")
if [ -n "$llvm" ]; then
	mk+=(LLVM=1 CC="ccache clang")
elif [ -n "$cross" ]; then
	mk+=(CROSS_COMPILE="$cross" CC="ccache ${cross}gcc")
else
	mk+=(CC="ccache gcc")
fi
# kmake DIR OUT ARGS...: make in the source tree DIR with output in OUT
kmake() {
	local d=$1 o=$2
	shift 2
	echo "+ make ${mk[*]} O=$o $*" >>"$log"
	make -C "$d" "${mk[@]}" O="$o" "$@" >>"$log" 2>&1
}

# Configure only when the fragment or the tree's Kconfig changed.
stamp="$(cat "$frag")
$(git -C "$t" rev-parse HEAD)"
mkdir -p "$out"
if [ ! -f "$out/.config" ] || [ "$stamp" != "$(cat "$out/.vmascope-fragment" 2>/dev/null)" ]; then
	info "configuring $out: ARCH=$arch ${llvm:+LLVM=1 }tinyconfig + ${frag#"$ROOT"/}"
	rm -f "$out/.vmascope-fragment"
	kmake "$t" "$out" tinyconfig &&
		"$t/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >>"$log" 2>&1 &&
		kmake "$t" "$out" olddefconfig ||
		{ tail -20 "$log" >&2; bad "configure"; end; }
fi
if ( check_config "$frag" "$out/.config" ); then
	printf '%s\n' "$stamp" >"$out/.vmascope-fragment"
else
	bad "configure: the fragment does not hold"
	end
fi

# A run that failed is followed by a clean build: objects that an earlier
# run compiled are not compiled again, and their warnings would go unseen
# (ccache replays them, so the clean build costs little).
if [ -f "$out/vmlinux" ] && [ ! -f "$out/.vmascope-ok" ]; then
	kmake "$t" "$out" clean || true
fi
info "make ${targets[*]} (ARCH=$arch${llvm:+ LLVM=1}, $(nproc) jobs) in $out"
ticker "build-$name: make ${targets[*]}" "$out"
if kmake "$t" "$out" -j"$(nproc)" "${targets[@]}"; then
	ticker_stop
	ok "make ${targets[*]} (ARCH=$arch${llvm:+, LLVM=1})"
else
	ticker_stop
	{ build_warnings "$log" "$t" | grep -E 'error|ERROR' || true; } | head -20 | sed 's/^/    /'
	bad "make ${targets[*]} (ARCH=$arch${llvm:+, LLVM=1}): see $log"
	end
fi

# Warnings of the full build, against the same build of the base tree.
build_warnings "$log" "$t" >"$results/build-$name.warnings"
# A warning in a file the base tree does not have is the series' own: the
# base is built only for warnings in files it has.
in_base=
while IFS= read -r w; do
	f=${w%%:*}
	[ -n "$f" ] && git -C "$t" cat-file -e "$base:$f" 2>/dev/null && in_base=1 && break
done <"$results/build-$name.warnings"
if [ -n "$in_base" ]; then
	bt=$(base_worktree)
	bo="$out-base"
	mkdir -p "$bo"
	cp "$out/.config" "$bo/.config"
	blog="$results/build-$name-base.log"
	log=$blog
	: >"$log"
	info "the build has warnings: building the base tree the same way in $bo"
	ticker "build-$name: base tree, make ${targets[*]}" "$bo"
	kmake "$bt" "$bo" olddefconfig && kmake "$bt" "$bo" clean &&
		kmake "$bt" "$bo" -j"$(nproc)" "${targets[@]}" || true
	ticker_stop
	log="$results/build-$name.log"
	build_warnings "$blog" "$bt" >"$results/build-$name-base.warnings"
	new_w=$(new_warnings "$results/build-$name.warnings" "$results/build-$name-base.warnings")
else
	new_w=
fi
if [ -z "$new_w" ]; then
	ok "no warning the base tree does not have ($(wc -l <"$results/build-$name.warnings") in all)"
else
	printf '%s\n' "$new_w" | sed 's/^/    /'
	bad "$(printf '%s\n' "$new_w" | wc -l) new warnings"
fi

# W=1 on the objects the series touches that this configuration builds.
if [ "$w1" = touched ]; then
	mapfile -t added < <(git -C "$t" diff --name-only --diff-filter=A "$base" HEAD -- '*.c')
	mapfile -t modified < <(git -C "$t" diff --name-only --diff-filter=M "$base" HEAD -- '*.c')
	mapfile -t new_objs < <(built_objs "$out" "${added[@]}" "${modified[@]}")
	mapfile -t old_objs < <(built_objs "$out" "${modified[@]}")
	wlog="$results/build-$name-w1.log"
	log=$wlog
	: >"$log"
	(cd "$out" && rm -f "${new_objs[@]}")
	kmake "$t" "$out" -j"$(nproc)" W=1 "${new_objs[@]}" || true
	build_warnings "$wlog" "$t" >"$results/build-$name-w1.new"
	: >"$results/build-$name-w1.base"
	if [ ${#old_objs[@]} -gt 0 ]; then
		bt=$(base_worktree)
		bo="$out-base"
		mkdir -p "$bo"
		cp "$out/.config" "$bo/.config"
		log="$results/build-$name-w1-base.log"
		: >"$log"
		kmake "$bt" "$bo" olddefconfig || true
		(cd "$bo" && rm -f "${old_objs[@]}")
		kmake "$bt" "$bo" -j"$(nproc)" W=1 "${old_objs[@]}" || true
		build_warnings "$log" "$bt" >"$results/build-$name-w1.base"
	fi
	log="$results/build-$name.log"
	new_w=$(new_warnings "$results/build-$name-w1.new" "$results/build-$name-w1.base")
	if [ -z "$new_w" ]; then
		ok "W=1 on ${#new_objs[@]} objects the series touches: no new warnings"
	else
		printf '%s\n' "$new_w" | sed 's/^/    /'
		bad "W=1 on the objects the series touches: $(printf '%s\n' "$new_w" | wc -l) new warnings (log: $wlog)"
	fi
fi
end
