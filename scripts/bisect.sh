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
	pstart=$(date +%s)
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
	# The configurations of one patch build at the same time, from the
	# same checkout: much of a per-patch build is make's own start
	# (olddefconfig evaluates every Kconfig compiler test, then kbuild's
	# prepare checks), one core's work each, which two builds overlap.
	todo=()
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
		rm -f "$out/.vmascope-result"
		if [ ${#objs[@]} -eq 0 ]; then
			echo "ok no object of this configuration to build" >"$out/.vmascope-result"
			continue
		fi
		# The same commit, configuration, objects and compiler as a build
		# that passed: its result stands (a rerun would only replay the
		# same compilations from ccache, checking out every patch again).
		key=$(printf '%s\n' "$c" "${objs[*]}" "$(cat "$fin/.config")" "$(gcc --version | head -1)" \
			"$(cat "$0")" | sha1sum | cut -d' ' -f1)
		if [ -f "$out/.vmascope-passed/$key" ]; then
			echo "ok ${#objs[@]} objects; built and passed before, unchanged" >"$out/.vmascope-result"
			continue
		fi
		todo+=("$cfg")
		printf '%s\n' "$key" "${objs[@]}" >"$out/.vmascope-todo"
	done
	if [ ${#todo[@]} -gt 0 ]; then
		[ "$(git -C "$wt" rev-parse HEAD)" = "$c" ] || git -C "$wt" checkout -q --detach "$c"
	fi
	for cfg in "${todo[@]}"; do
		out="$WORK/bisect-$cfg"
		[ -n "${KERNEL_SRC:-}" ] && out="$t.bisect-$cfg"
		fin="$WORK/build-$cfg"
		[ -n "${KERNEL_SRC:-}" ] && fin="$t.build-$cfg"
		(
			mapfile -t todo_lines <"$out/.vmascope-todo"
			key=${todo_lines[0]}
			objs=("${todo_lines[@]:1}")
			one="$out/.vmascope-last.log"
			echo "== patch $i/$n ($cfg): $subject: ${objs[*]}" >"$one"
			# The final .config brought to this patch: olddefconfig
			# only when a Kconfig file differs from the patch it
			# was last brought to (most patches touch none, and
			# olddefconfig costs several seconds of compiler tests).
			kkey=$(printf '%s\n' "$(cat "$fin/.config")" \
				"$(git -C "$wt" ls-tree -r "$c" | grep -E '(^|/)Kconfig[^/]*$' | sha1sum)" | sha1sum | cut -d' ' -f1)
			if [ -f "$out/.config" ] && [ "$(cat "$out/.vmascope-kconfig" 2>/dev/null)" = "$kkey" ]; then
				echo "(.config: no Kconfig file changed since the last patch brought to it)" >>"$one"
				config_current=true
			else
				rm -f "$out/.vmascope-kconfig"
				cp "$fin/.config" "$out/.config"
				config_current=false
			fi
			if { [ "$config_current" = true ] ||
			     { make -C "$wt" ARCH="$arch" O="$out" CC="ccache gcc" olddefconfig >>"$one" 2>&1 &&
			       echo "$kkey" >"$out/.vmascope-kconfig"; }; } &&
			   make -C "$wt" ARCH="$arch" O="$out" CC="ccache gcc" -j"$(nproc)" "${objs[@]}" >>"$one" 2>&1; then
				# The build bots report warnings commit by commit:
				# the final builds have none, nor may any patch on
				# the way.
				w=$(build_warnings "$one" "$wt")
				if [ -z "$w" ]; then
					mkdir -p "$out/.vmascope-passed"
					touch "$out/.vmascope-passed/$key"
					echo "ok ${#objs[@]} objects" >"$out/.vmascope-result"
				else
					{ echo "FAILED warnings"; printf '%s\n' "$w" | head -5; } >"$out/.vmascope-result"
				fi
			else
				{ echo "FAILED build"; { grep -E 'error|Error|No such file' "$one" || true; } | head -5; } \
					>"$out/.vmascope-result"
			fi
		) &
	done
	wait
	for cfg in "${configs[@]}"; do
		out="$WORK/bisect-$cfg"
		[ -n "${KERNEL_SRC:-}" ] && out="$t.bisect-$cfg"
		label="patch $i/$n ($cfg): $subject"
		[ ${#todo[@]} -gt 0 ] && label="$label [$(( $(date +%s) - pstart )) s]"
		[ -f "$out/.vmascope-last.log" ] && [ -f "$out/.vmascope-todo" ] && cat "$out/.vmascope-last.log" >>"$log"
		rm -f "$out/.vmascope-todo"
		res=$(sed -n 1p "$out/.vmascope-result" 2>/dev/null)
		case "$res" in
		"ok no object"*)
			passed=$((passed + 1))
			printf 'bisect: ok     %s: %s\n' "$label" "${res#ok }" ;;
		ok*)
			passed=$((passed + 1))
			printf 'bisect: ok     %s (%s)\n' "$label" "${res#ok }" ;;
		*)
			failed=$((failed + 1))
			printf 'bisect: FAILED %s%s\n' "$label" "$([ "${res:-}" = "FAILED warnings" ] && echo ": warnings")"
			sed -n '2,$p' "$out/.vmascope-result" 2>/dev/null | sed 's/^/    /' ;;
		esac
	done
done
printf '%s %s 0\n' "$passed" "$failed" >"$results/bisect.counts"
info "bisect: $passed passed, $failed failed ($(( $(date +%s) - start )) s); log in $log"
[ "$failed" -eq 0 ]
