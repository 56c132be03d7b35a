#!/usr/bin/env bash
# make check, bisectability: at every patch of the series, build the
# objects that patch can break, with the series' options on and off, as
# 'git bisect' through the series would need them to build.
#
# For each patch, in a worktree of its own (build/bisect-src) checked out at
# that patch, and for each of two configurations, the final .config of a
# build-matrix configuration (scripts/build.sh must have built it: its
# objects say what each configuration builds) brought to that patch with
# olddefconfig
# (kconfig/build-modules.config: every option on; kconfig/build-off.config:
# every option off; options a later patch adds are simply not there yet):
# the objects of the C files the patch changes or adds, and of every C file
# the series touches that includes a header the patch changes. Not a full
# kernel link at every patch: 'make check' links the last one in each
# configuration of the matrix; here a patch that uses a function a later
# patch defines is caught by the compiler's implicit-declaration error.
# A build error or any compiler warning fails the patch (the final builds of
# the matrix have none). Through ccache: a rerun compiles nothing it
# compiled before (and ccache replays the warnings of what it caches).
# Results: build/results/bisect.{log,counts}.
. "$(dirname "$0")/lib.sh"

"$ROOT/scripts/deps.sh" build ccache
"$ROOT/scripts/apply.sh" >/dev/null
t=$(tree_dir)
base=$(base_rev)
results="$WORK/results"
mkdir -p "$results"
log="$results/bisect.log"
: >"$log"
passed=0 failed=0
start=$(date +%s)
configs=(modules off)
# The configurations' architecture, from their fragments: make must be told
# (an ARCH= exported empty, as make's 'export ARCH' does, is not defaulted).
arch=$(frag_key "$KCONFIG_DIR/build-${configs[0]}.config" arch)
for c in "${configs[@]}"; do
	[ "$(frag_key "$KCONFIG_DIR/build-$c.config" arch)" = "$arch" ] ||
		die "${KCONFIG_DIR#"$ROOT"/}/build-$c.config: not ARCH=$arch like the other per-patch configuration"
done

# Which objects a patch can break in a configuration is read from that
# configuration's final build: without one, every patch would pass having
# built nothing.
for c in "${configs[@]}"; do
	fin="$WORK/build-$c"
	[ -n "${KERNEL_SRC:-}" ] && fin="$t.build-$c"
	[ -f "$fin/vmlinux" ] ||
		die "no final build of configuration $c in $fin: run 'scripts/build.sh $c' first (make check and make test do)"
done
wt="$WORK/bisect-src"
[ -n "${KERNEL_SRC:-}" ] && wt="$t.bisect-src"
if [ ! -e "$wt/.git" ]; then
	git -C "$t" worktree prune
	git -C "$t" worktree add -q --detach "$wt" "$base" >&2
fi

fin_on="$WORK/build-${configs[0]}"
[ -n "${KERNEL_SRC:-}" ] && fin_on="$t.build-${configs[0]}"

# Every C file the series touches, at its end.
mapfile -t series_c < <(git -C "$t" diff --name-only --diff-filter=AM "$base" HEAD -- '*.c')

mapfile -t commits < <(git -C "$t" rev-list --reverse "$base..HEAD")
n=${#commits[@]}
i=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	subject=$(git -C "$t" log -1 --format=%s "$c")
	mapfile -t changed < <(git -C "$t" diff-tree --no-commit-id -r --name-only --diff-filter=AM "$c")
	files=()
	for f in "${series_c[@]}"; do
		git -C "$t" cat-file -e "$c:$f" 2>/dev/null || continue
		want=
		for g in "${changed[@]}"; do
			[ "$g" = "$f" ] && want=1 && break
			case "$g" in
			*.h)
				# Does f include g? The final build's dependency list says.
				cmd="$fin_on/$(dirname "$f")/.$(basename "${f%.c}").o.cmd"
				if [ ! -f "$cmd" ] || grep -qF -- "$g" "$cmd"; then want=1 && break; fi ;;
			esac
		done
		[ -n "$want" ] && files+=("${f%.c}.o")
	done
	for cfg in "${configs[@]}"; do
		out="$WORK/bisect-$cfg"
		[ -n "${KERNEL_SRC:-}" ] && out="$t.bisect-$cfg"
		fin="$WORK/build-$cfg"
		[ -n "${KERNEL_SRC:-}" ] && fin="$t.build-$cfg"
		mkdir -p "$out"
		label="patch $i/$n ($cfg): $subject"
		# Only what this configuration builds (kbuild compiles a single
		# target whatever its obj-$(CONFIG_...) says): the objects of
		# the final build of the configuration.
		objs=()
		for o in "${files[@]}"; do
			[ -f "$fin/$o" ] && objs+=("$o")
		done
		if [ ${#objs[@]} -eq 0 ]; then
			passed=$((passed + 1))
			printf 'bisect: ok     %s: no object of this configuration to build\n' "$label"
			continue
		fi
		# The same commit, configuration, objects and compiler as a build
		# that passed: its result stands (a rerun would only replay the
		# same compilations from ccache, checking out every patch again).
		key=$(printf '%s\n' "$c" "${objs[*]}" "$(cat "$fin/.config")" "$(gcc --version | head -1)" \
			"$(cat "$0")" | sha1sum | cut -d' ' -f1)
		if [ -f "$out/.vmascope-passed/$key" ]; then
			passed=$((passed + 1))
			printf 'bisect: ok     %s (%d objects; built and passed before, unchanged)\n' \
				"$label" "${#objs[@]}"
			continue
		fi
		echo "== $label: ${objs[*]}" >>"$log"
		[ "$(git -C "$wt" rev-parse HEAD)" = "$c" ] || git -C "$wt" checkout -q --detach "$c"
		cp "$fin/.config" "$out/.config"
		one="$out/.vmascope-last.log"
		if make -C "$wt" ARCH="$arch" O="$out" CC="ccache gcc" olddefconfig >"$one" 2>&1 &&
		   make -C "$wt" ARCH="$arch" O="$out" CC="ccache gcc" -j"$(nproc)" "${objs[@]}" >>"$one" 2>&1; then
			# The build bots report warnings commit by commit: the
			# final builds have none, nor may any patch on the way.
			w=$(build_warnings "$one" "$wt")
			if [ -z "$w" ]; then
				mkdir -p "$out/.vmascope-passed"
				touch "$out/.vmascope-passed/$key"
				passed=$((passed + 1))
				printf 'bisect: ok     %s (%d objects)\n' "$label" "${#objs[@]}"
			else
				failed=$((failed + 1))
				printf 'bisect: FAILED %s: warnings\n' "$label"
				printf '%s\n' "$w" | head -5 | sed 's/^/    /'
			fi
		else
			failed=$((failed + 1))
			printf 'bisect: FAILED %s\n' "$label"
			{ grep -E 'error|Error|No such file' "$one" || true; } | head -5 | sed 's/^/    /'
		fi
		cat "$one" >>"$log"
	done
done
printf '%s %s 0\n' "$passed" "$failed" >"$results/bisect.counts"
info "bisect: $passed passed, $failed failed ($(( $(date +%s) - start )) s); log in $log"
[ "$failed" -eq 0 ]
