# vmascope: each target runs one script; see README.md.
#   make kunit [ARCH=um|x86_64] [KERNEL_SRC=DIR]    main job
#   make test                                       everything CI runs

SHELL := /bin/bash
export BASE VERSION MAKE_TEST_BUDGET ARCH KERNEL_SRC KUNIT_CONFIG KUNIT_CPUS KUNIT_ARGS FORCE SELFTEST_KERNEL SELFTEST_SRC SELFTEST_TIMEOUT
export GUESTBENCH_REV GUESTBENCH_BOOTS GUESTBENCH_TIMEOUT GUESTBENCH_SCALE GUESTBENCH_ROWS GUESTBENCH_ASLR GUESTBENCH_NOCHECK

.PHONY: help deps tree apply export outgoing rebase drift kunit walk check tooltests selftest test bench guestbench clean

help:
	@echo 'vmascope: a Linux patch series (mainline 7.3, 6.12 LTS backport) and its KUnit suites'
	@echo
	@echo 'Targets:'
	@echo '  kunit      main job: tree + apply, then kunit.py run (ARCH=um, or x86_64/arm64 under QEMU)'
	@echo '  walk       a vma_walk soak: SEEDS seeds from SEED on, STEPS steps each (default 1, 1, 100000)'
	@echo '  test       everything CI runs on both bases: tooling tests, check, build matrix and every patch, KUnit on UML and x86_64 SMP, selftest, kmemleak'
	@echo '  tree       fetch the base recorded in bases from Debian'"'"'s archive into build/BASE/linux (or a worktree of KERNEL_SRC)'
	@echo '  apply      git am patches/ onto the base, branch vmascope (FORCE=1 reapplies)'
	@echo '  export     git format-patch the branch back into patches/'
	@echo '  outgoing   b4 prep: the mails to post in build/BASE/outgoing (revision from the cover letter), checked against patches/'
	@echo '  rebase     move the series onto a newer release of its base (VERSION=V, default the newest served)'
	@echo '  drift      ask the archive for a newer release than the recorded one; apply the series and run the UML suites on it'
	@echo '  check      checkpatch --strict, kernel-doc, sparse, W=1, coccicheck, ABI checker, docs build; build matrix (kconfig/BASE/build-*.config) and every patch'
	@echo '  tooltests  the tooling self-tests in tests/'
	@echo '  selftest   boot x86_64 under QEMU and run the vma_stats kselftest in it with run_vmtests.sh, then tools/mm/vmastat'
	@echo '  bench      time find_vma() and merges with VMA stats off/on (UML); writes docs/results.md'
	@echo '  guestbench instruction counts of fork, exec, faults, VMA syscalls in x86_64 guests (QEMU -icount): stock, VMA_STATS=n, =y off/on; writes docs/guest-results.md'
	@echo '  deps       install the Debian packages everything needs (as root)'
	@echo '  clean      remove build results and build directories, keep build/BASE/linux'
	@echo
	@echo 'Variables: BASE=7.3|6.12 (a line of bases; default its first)  VERSION=V (rebase)  ARCH=um|x86_64|arm64  KERNEL_SRC=DIR  KUNIT_CONFIG=NAME (kunit/NAME.kunitconfig)  KUNIT_CPUS=N'

deps:
	@scripts/deps.sh

tree:
	@scripts/tree.sh

apply: tree
	@scripts/apply.sh

export:
	@scripts/export.sh

outgoing: tree
	@scripts/outgoing.sh

rebase: tree
	@scripts/rebase.sh

drift:
	@scripts/drift.sh

kunit: tree
	@scripts/kunit.sh

# The vma_walk suite alone, longer than the table's seeds (ARCH and
# KUNIT_CONFIG as for kunit), e.g. make walk SEED=1234 SEEDS=20 STEPS=50000.
# A failure prints the seed and step to replay: make walk SEED=S STEPS=N.
walk: tree
	@KUNIT_FILTER=vma_walk KUNIT_ARGS="$(KUNIT_ARGS) \
		--kernel_args=vma_walk_kunit.vma_walk_seed=$(or $(SEED),1) \
		--kernel_args=vma_walk_kunit.vma_walk_count=$(or $(SEEDS),1) \
		--kernel_args=vma_walk_kunit.vma_walk_steps=$(or $(STEPS),100000)" scripts/kunit.sh

check: tree
	@scripts/apply.sh
	@scripts/check.sh

tooltests: tree
	@tests/run.sh

test:
	@scripts/test.sh

selftest: tree
	@scripts/selftest.sh

bench: tree
	@scripts/bench.sh

# Not part of bench: three kernel builds and nine QEMU boots of its own.
guestbench: tree
	@scripts/guestbench.sh

clean:
	for b in build/*/linux; do d=$${b%/linux}; \
		rm -rf $$d/results $$d/um $$d/um-* $$d/x86_64 $$d/x86_64-* $$d/arm64 $$d/arm64-* $$d/build-* $$d/bisect-* $$d/selftest-kernel $$d/selftest-initramfs $$d/base-src $$d/guestbench-* $$d/drift $$d/cocci-findings $$d/docs $$d/docs-base $$d/docs-base-out $$d/outgoing; \
		git -C $$b worktree prune 2>/dev/null || true; done
	rm -rf build/ccache build/selftest
