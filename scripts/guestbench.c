// SPDX-License-Identifier: GPL-2.0
/*
 * guestbench: the userspace side of scripts/guestbench.sh. Run as /init's
 * child in an x86_64 guest under QEMU with -icount shift=0,sleep=off, where
 * CLOCK_MONOTONIC advances 1 ns per guest instruction: every figure is an
 * instruction count (ns of guest time under -icount shift=0), not hardware
 * time.
 *
 *   guestbench KERNEL   time every row; KERNEL names the kernel in the output
 *   guestbench exit     exit at once (what the fork_exec row executes)
 *
 * Rows, each a loop of N iterations timed as a whole with
 * clock_gettime(CLOCK_MONOTONIC), after a warm-up of N/10:
 *   fork_exit    fork(); the child _exit(0)s; waitpid()
 *   fork_exec    fork(); the child execve()s this program with "exit"
 *   fault        mmap of 256 fresh anonymous pages, a write to each, munmap:
 *                ns per page fault
 *   mincore      mincore() of one page in the middle of 10,000 one-page
 *                VMAs of alternating protections (they cannot merge)
 *   mprotect     a 2-page RW VMA: mprotect(PROT_READ) of its second page
 *                (a split), mprotect(PROT_READ|PROT_WRITE) back (a merge)
 *   mmap_munmap  mmap of one RW page right after a RW VMA (a new-range
 *                merge), munmap of it (a split and an unmap)
 *
 * Where /proc/sys/vm/vma_stats exists (CONFIG_VMA_STATS=y), every row runs
 * with the counting off and then on ("mode=off", "mode=on"); elsewhere once
 * ("mode=none"). With it on, the deltas of /proc/self/vma_stats around the
 * timed loop say how many events it counted. Then, with the counting off,
 * the tracing it compares with, where tracefs has it:
 *   mode=kprobe       the mincore row with a kprobe counted by a hist trigger
 *                     (probe=find_vma, then probe=mtree_load: mincore()
 *                     looks its VMA up with vma_lookup(), an inline around
 *                     mtree_load(), then walk_page_range() calls find_vma()
 *                     twice); hits= is the hist's hitcount for this
 *                     process over the timed loop
 *   mode=tracepoints  the mprotect row with the series' vma_merge,
 *                     vma_merge_refused and vma_split events recorded in the
 *                     ring buffer; events= is what the buffer got
 *
 * Environment (from the kernel command line): guestbench_scale=X multiplies
 * every N; guestbench_rows=R,R... runs only those rows.
 *
 * One line per figure: "guestbench: kernel=K mode=M row=R ns=NS iters=N
 * [name=value...]", NS the guest ns per iteration (per page for fault).
 * Anything skipped is a "guestbench: note: ..." line. Exits non-zero on an
 * error (a failed syscall, a child that did not exit 0).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG		4096UL
#define FAULT_PAGES	256
#define MINCORE_VMAS	10000
/* Far from the static binary, its heap and the top-down mmap area. */
#define AREA_MINCORE	((char *)0x100000000000UL)
#define AREA_MPROTECT	((char *)0x200000000000UL)
#define AREA_MMAP	((char *)0x300000000000UL)
#define MMAP_VMA_PAGES	4
#define AREA_BACKGROUND	((char *)0x080000000000UL)
#define BACKGROUND_VMAS	48
#define TRACEFS		"/sys/kernel/tracing"
#define SYSCTL		"/proc/sys/vm/vma_stats"

static const char *kernel = "?";
static char self[4096];
static double scale = 1.0;

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "guestbench: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (errno)
		fprintf(stderr, ": %s", strerror(errno));
	fprintf(stderr, "\n");
	exit(1);
}

static void note(const char *fmt, ...)
{
	va_list ap;

	printf("guestbench: note: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Write @s to @path (appending if @append); 0, or -errno. */
static int put(const char *path, const char *s, int append)
{
	int fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(s))
		err = -EIO;
	close(fd);
	return err;
}

/* The whole file @path, NUL-terminated, in a malloc()ed buffer, or NULL. */
static char *slurp(const char *path)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				die("realloc");
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0)
			die("read %s", path);
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = 0;
	return buf;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/*
 * Around the rows, an mm of some 60 VMAs, as a small dynamically linked
 * process has, rather than the dozen of a static one: the cost of a VMA
 * operation depends on the shape of the maple tree, and in a tree of a
 * dozen entries a split can make its one leaf overflow and the merge after
 * it rebalance it again, every time (mprotect took 15,300 instructions a
 * pair there, against 9,000 with one VMA more or less). The background VMAs
 * alternate read-only and read-write, so that they do not merge.
 */
static void background_setup(void)
{
	for (long i = 0; i < BACKGROUND_VMAS; i++) {
		char *p = AREA_BACKGROUND + i * PG;
		int prot = i % 2 ? PROT_READ | PROT_WRITE : PROT_READ;

		if (mmap(p, PG, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0) != p)
			die("background: mmap of VMA %ld", i);
	}
}

/* ---- the rows ---- */

static void fork_exit_loop(long n)
{
	int st;

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			die("fork_exit: child %d: status %#x", pid, st);
	}
}

static void fork_exec_loop(long n)
{
	char *argv[] = { "guestbench", "exit", NULL };
	char *envp[] = { NULL };
	int st;

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		if (pid == 0) {
			execve(self, argv, envp);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			die("fork_exec: child %d: status %#x", pid, st);
	}
}

static void fault_loop(long n)
{
	for (long i = 0; i < n; i++) {
		char *p = mmap(NULL, FAULT_PAGES * PG, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			die("fault: mmap");
		for (long j = 0; j < FAULT_PAGES; j++)
			((volatile char *)p)[j * PG] = 1;
		if (munmap(p, FAULT_PAGES * PG))
			die("fault: munmap");
	}
}

static void mincore_setup(void)
{
	char *p = mmap(AREA_MINCORE, MINCORE_VMAS * PG, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	char *maps;
	long lines = 0;

	if (p != AREA_MINCORE)
		die("mincore: reserve %p", (void *)AREA_MINCORE);
	for (long i = 0; i < MINCORE_VMAS; i++) {
		int prot = i % 2 ? PROT_READ | PROT_WRITE : PROT_READ;

		if (mmap(p + i * PG, PG, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
			 -1, 0) != p + i * PG)
			die("mincore: mmap of VMA %ld", i);
	}
	maps = slurp("/proc/self/maps");
	if (!maps)
		die("/proc/self/maps");
	for (char *s = maps; *s; s++)
		lines += *s == '\n';
	free(maps);
	if (lines < MINCORE_VMAS)
		die("mincore: only %ld VMAs after mapping %d", lines, MINCORE_VMAS);
}

static void mincore_loop(long n)
{
	char *addr = AREA_MINCORE + MINCORE_VMAS / 2 * PG;
	unsigned char vec;

	for (long i = 0; i < n; i++)
		if (mincore(addr, PG, &vec))
			die("mincore");
}

static void mincore_teardown(void)
{
	if (munmap(AREA_MINCORE, MINCORE_VMAS * PG))
		die("mincore: munmap");
}

static void mprotect_setup(void)
{
	char *p = mmap(AREA_MPROTECT, 2 * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != AREA_MPROTECT)
		die("mprotect: mmap");
	p[0] = p[PG] = 1;
}

static void mprotect_loop(long n)
{
	char *page = AREA_MPROTECT + PG;

	for (long i = 0; i < n; i++)
		if (mprotect(page, PG, PROT_READ) ||
		    mprotect(page, PG, PROT_READ | PROT_WRITE))
			die("mprotect");
}

static void mprotect_teardown(void)
{
	if (munmap(AREA_MPROTECT, 2 * PG))
		die("mprotect: munmap");
}

static void mmap_setup(void)
{
	char *p = mmap(AREA_MMAP, MMAP_VMA_PAGES * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p != AREA_MMAP)
		die("mmap_munmap: mmap");
	for (int i = 0; i < MMAP_VMA_PAGES; i++)
		p[i * PG] = 1;
}

static void mmap_loop(long n)
{
	char *next = AREA_MMAP + MMAP_VMA_PAGES * PG;

	for (long i = 0; i < n; i++) {
		if (mmap(next, PG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != next)
			die("mmap_munmap: mmap");
		if (munmap(next, PG))
			die("mmap_munmap: munmap");
	}
}

static void mmap_teardown(void)
{
	if (munmap(AREA_MMAP, MMAP_VMA_PAGES * PG))
		die("mmap_munmap: munmap");
}

struct row {
	const char *name;
	long iters;		/* timed iterations, before scaling */
	long units;		/* what ns= is per: units per iteration */
	void (*setup)(void);
	void (*loop)(long n);
	void (*teardown)(void);
};

/*
 * Iterations: each row's timed loop is 350 to 450 million guest
 * instructions, a few seconds of host time under TCG with icount (about
 * 100 million a second, on a 2-core host that also builds kernels); with
 * the ~16 s the kernel takes to boot there, a boot of the =y kernel, which
 * runs every row two to three times, takes under a minute.
 */
static const struct row rows[] = {
	{ "fork_exit",		4000, 1,		NULL, fork_exit_loop, NULL },
	{ "fork_exec",		1000, 1,		NULL, fork_exec_loop, NULL },
	{ "fault",		500, FAULT_PAGES,	NULL, fault_loop, NULL },
	{ "mincore",		200000, 1,		mincore_setup, mincore_loop, mincore_teardown },
	{ "mprotect",		40000, 1,		mprotect_setup, mprotect_loop, mprotect_teardown },
	{ "mmap_munmap",	50000, 1,		mmap_setup, mmap_loop, mmap_teardown },
};

static long iters_of(const struct row *r)
{
	long n = (long)(r->iters * scale);

	return n < 1 ? 1 : n;
}

/*
 * Time @n iterations of @r's loop: guest ns in all. First sleep a little:
 * the kernel threads run and RCU's grace periods end (freeing the VMAs,
 * tasks and mms of what ran before), so that every loop starts from the
 * same quiet state. Idle guest time costs no host time (sleep=off).
 */
static uint64_t timed(const struct row *r, long n)
{
	uint64_t t0;

	usleep(50000);
	t0 = now_ns();

	r->loop(n);
	return now_ns() - t0;
}

static void warm_up(const struct row *r, long n)
{
	r->loop(n / 10 ? n / 10 : 1);
}

static void report(const struct row *r, const char *mode, uint64_t ns, long n,
		   const char *extra)
{
	printf("guestbench: kernel=%s mode=%s row=%s ns=%.2f iters=%ld total_ns=%llu%s%s\n",
	       kernel, mode, r->name, (double)ns / ((double)n * r->units), n * r->units,
	       (unsigned long long)ns, extra && *extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

/* ---- /proc/self/vma_stats ---- */

#define MAX_STATS 64
struct vstats {
	int n;
	char name[MAX_STATS][32];
	unsigned long long val[MAX_STATS];
};

/* The counters of /proc/self/vma_stats ("name value" lines); 0 if none. */
static int read_vstats(struct vstats *v)
{
	char *buf = slurp("/proc/self/vma_stats"), *line, *save;

	v->n = 0;
	if (!buf)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line && v->n < MAX_STATS;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%31s %llu", v->name[v->n], &v->val[v->n]) == 2)
			v->n++;
	}
	free(buf);
	return v->n;
}

/*
 * " events=E name=delta..." for the counters that changed: E counts one
 * event per counted lookup (the "lookup" line, the sum of the three
 * outcomes) and per merge, refusal, split, expand, shrink or unmap; the
 * lookup outcomes and the read-time lines (mm_users, map_count,
 * unmerged_*) are not events.
 */
static void vstats_delta(const struct vstats *a, const struct vstats *b, char *out, size_t len)
{
	unsigned long long events = 0;
	char names[1024] = "";
	size_t used = 0;

	for (int i = 0; i < a->n && i < b->n; i++) {
		const char *nm = a->name[i];
		unsigned long long d = b->val[i] - a->val[i];

		if (strcmp(nm, b->name[i]))
			die("/proc/self/vma_stats: lines changed order");
		if (!strcmp(nm, "mm_users"))
			break;	/* the counters end here */
		if (!d || !strncmp(nm, "lookup_", 7))
			continue;
		events += d;
		used += snprintf(names + used, sizeof(names) - used, " vs_%s=%llu", nm, d);
		if (used >= sizeof(names))
			die("vstats_delta: too many counters");
	}
	snprintf(out, len, "events=%llu%s", events, names);
}

/* ---- tracing ---- */

static int have_tracefs(void)
{
	return exists(TRACEFS "/events");
}

/* This process's hitcount in the hist of @event (a path under events/). */
static unsigned long long hist_hits(const char *event)
{
	char path[256], *buf, *s;
	unsigned long long sum = 0;
	int me = getpid();

	snprintf(path, sizeof(path), TRACEFS "/events/%s/hist", event);
	buf = slurp(path);
	if (!buf)
		die("read %s", path);
	/* "{ common_pid:        123 } hitcount:         10" */
	for (s = buf; (s = strstr(s, "common_pid:")); s++) {
		int pid;
		unsigned long long hits;
		char *h = strstr(s, "hitcount:");

		if (sscanf(s, "common_pid: %d", &pid) == 1 && h &&
		    sscanf(h, "hitcount: %llu", &hits) == 1 && pid == me)
			sum += hits;
	}
	free(buf);
	return sum;
}

/* The mincore row with a kprobe on @sym, counted by a hist trigger. */
static void kprobe_row(const struct row *r, const char *sym, long n)
{
	char def[128], undef[128], trig[256], ev[128], extra[256];
	const char *hist = "hist:keys=common_pid:vals=hitcount";
	unsigned long long h0, h1;
	uint64_t ns;
	int err;

	snprintf(def, sizeof(def), "p:vmascope/%s %s\n", sym, sym);
	snprintf(undef, sizeof(undef), "-:vmascope/%s\n", sym);
	snprintf(ev, sizeof(ev), "vmascope/%s", sym);
	snprintf(trig, sizeof(trig), TRACEFS "/events/%s/trigger", ev);
	err = put(TRACEFS "/kprobe_events", def, 1);
	if (err) {
		note("kprobe on %s: cannot add it (%s): skipped", sym, strerror(-err));
		return;
	}
	/*
	 * The trigger alone arms the probe (the event stays soft-disabled:
	 * nothing goes to the ring buffer); enabling the event would also
	 * record every hit there.
	 */
	err = put(trig, hist, 0);
	if (err) {
		note("kprobe on %s: cannot add the hist trigger (%s): skipped", sym, strerror(-err));
		put(TRACEFS "/kprobe_events", undef, 1);
		return;
	}
	warm_up(r, n);
	/* Let the kprobe optimizer (a delayed work) do its job first. */
	usleep(200000);
	h0 = hist_hits(ev);
	ns = timed(r, n);
	h1 = hist_hits(ev);
	snprintf(trig, sizeof(trig), TRACEFS "/events/%s/trigger", ev);
	snprintf(def, sizeof(def), "!%s", hist);
	if ((err = put(trig, def, 0)) || (err = put(TRACEFS "/kprobe_events", undef, 1)))
		die("kprobe on %s: cannot remove it (%s)", sym, strerror(-err));
	snprintf(extra, sizeof(extra), "probe=%s hits=%llu", sym, h1 - h0);
	report(r, "kprobe", ns, n, extra);
}

/* Count the lines of the trace buffer per event name. */
static void count_trace(const char *const *names, unsigned long long *counts, int nr)
{
	char *buf = slurp(TRACEFS "/trace"), *line, *save, pat[64];

	if (!buf)
		die("read " TRACEFS "/trace");
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		for (int i = 0; i < nr; i++) {
			snprintf(pat, sizeof(pat), " %s:", names[i]);
			if (strstr(line, pat)) {
				counts[i]++;
				break;
			}
		}
	}
	free(buf);
}

/* "overrun: N" of the CPU's ring buffer (the guest has one CPU). */
static unsigned long long overrun(void)
{
	char *buf = slurp(TRACEFS "/per_cpu/cpu0/stats"), *s;
	unsigned long long n = 0;

	if (buf && (s = strstr(buf, "overrun:")))
		sscanf(s, "overrun: %llu", &n);
	free(buf);
	return n;
}

/* The mprotect row with the series' tracepoints into the ring buffer. */
static void tracepoint_row(const struct row *r, long n)
{
	static const char *const names[] = { "vma_merge", "vma_merge_refused", "vma_split" };
	enum { NR = sizeof(names) / sizeof(names[0]) };
	unsigned long long counts[NR] = { 0 }, total = 0, lost;
	char path[256], extra[256], *old_size;
	size_t used;
	uint64_t ns;
	int err;

	for (int i = 0; i < NR; i++) {
		snprintf(path, sizeof(path), TRACEFS "/events/mmap/%s/enable", names[i]);
		if (!exists(path)) {
			note("tracepoints: no events/mmap/%s: skipped", names[i]);
			return;
		}
	}
	/* Room for every event of the loop (~100 bytes each). */
	old_size = slurp(TRACEFS "/buffer_size_kb");
	if ((err = put(TRACEFS "/buffer_size_kb", "32768", 0)))
		note("tracepoints: buffer_size_kb: %s (counting overruns)", strerror(-err));
	for (int i = 0; i < NR; i++) {
		snprintf(path, sizeof(path), TRACEFS "/events/mmap/%s/enable", names[i]);
		if ((err = put(path, "1", 0)))
			die("tracepoints: enable %s (%s)", names[i], strerror(-err));
	}
	warm_up(r, n);
	if ((err = put(TRACEFS "/trace", "", 0)))
		die("tracepoints: clear the trace (%s)", strerror(-err));
	lost = overrun();
	ns = timed(r, n);
	for (int i = 0; i < NR; i++) {
		snprintf(path, sizeof(path), TRACEFS "/events/mmap/%s/enable", names[i]);
		if ((err = put(path, "0", 0)))
			die("tracepoints: disable %s (%s)", names[i], strerror(-err));
	}
	lost = overrun() - lost;
	count_trace(names, counts, NR);
	put(TRACEFS "/trace", "", 0);
	if (old_size) {
		/* "1408", or "7 (expanded: 1408)" before the first use */
		char *x = strstr(old_size, "expanded:");
		unsigned long kb = strtoul(x ? x + 9 : old_size, NULL, 10);

		if (kb) {
			snprintf(path, sizeof(path), "%lu", kb);
			put(TRACEFS "/buffer_size_kb", path, 0);
		}
		free(old_size);
	}
	for (int i = 0; i < NR; i++)
		total += counts[i];
	used = snprintf(extra, sizeof(extra), "events=%llu", total + lost);
	for (int i = 0; i < NR; i++)
		used += snprintf(extra + used, sizeof(extra) - used, " %s=%llu", names[i], counts[i]);
	snprintf(extra + used, sizeof(extra) - used, " overrun=%llu", lost);
	report(r, "tracepoints", ns, n, extra);
}

/* ---- main ---- */

static void set_stats(int on)
{
	int err = put(SYSCTL, on ? "1\n" : "0\n", 0);

	if (err)
		die("write %s (%s)", SYSCTL, strerror(-err));
}

/* Whether @name is in the comma-separated list @list (NULL or "": all). */
static int selected(const char *list, const char *name)
{
	size_t len = strlen(name);

	if (!list || !*list)
		return 1;
	for (const char *p = list; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, name, len) && (p[len] == ',' || !p[len]))
			return 1;
	}
	return 0;
}

static void run_row(const struct row *r, int have_stats)
{
	long n = iters_of(r);
	struct vstats a, b;
	char extra[1280];
	uint64_t ns;

	if (r->setup)
		r->setup();
	if (!have_stats) {
		warm_up(r, n);
		report(r, "none", timed(r, n), n, NULL);
	} else {
		set_stats(0);
		warm_up(r, n);
		report(r, "off", timed(r, n), n, NULL);

		set_stats(1);
		warm_up(r, n);
		read_vstats(&a);
		ns = timed(r, n);
		if (read_vstats(&b))
			vstats_delta(&a, &b, extra, sizeof(extra));
		else
			snprintf(extra, sizeof(extra), "events=-");
		set_stats(0);
		report(r, "on", ns, n, extra);

		/* The tracing alternatives, with the counting off. */
		if (!strcmp(r->name, "mincore")) {
			if (!have_tracefs() || !exists(TRACEFS "/kprobe_events")) {
				note("no tracefs or no kprobe_events: the kprobe rows are skipped");
			} else {
				kprobe_row(r, "find_vma", n);
				kprobe_row(r, "mtree_load", n);
			}
		}
		if (!strcmp(r->name, "mprotect")) {
			if (!have_tracefs())
				note("no tracefs: the tracepoint row is skipped");
			else
				tracepoint_row(r, n);
		}
	}
	if (r->teardown)
		r->teardown();
}

int main(int argc, char **argv)
{
	struct timespec res;
	char *cs, *s, *aslr;
	ssize_t len;
	int have_stats;
	uint64_t t0;

	if (argc > 1 && !strcmp(argv[1], "exit"))
		_exit(0);
	if (argc != 2) {
		fprintf(stderr, "usage: guestbench KERNEL | guestbench exit\n");
		return 2;
	}
	kernel = argv[1];
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		die("readlink /proc/self/exe");
	self[len] = 0;
	s = getenv("guestbench_scale");
	if (s && *s)
		scale = atof(s);
	if (scale <= 0)
		die("guestbench_scale=%s", s);
	setvbuf(stdout, NULL, _IOLBF, 0);

	/*
	 * The TSC counts guest instructions; x86 boots on "tsc-early", from a
	 * quick calibration against the PIT, and switches to "tsc" after a
	 * finer one, about a second of guest time later: wait for it, so
	 * that no loop straddles the switch. Idle guest time passes at once
	 * (sleep=off).
	 */
	for (int tries = 0;; tries++) {
		cs = slurp("/sys/devices/system/clocksource/clocksource0/current_clocksource");
		if (cs && (s = strchr(cs, '\n')))
			*s = 0;
		if (!cs || !strcmp(cs, "tsc") || tries == 100)
			break;
		free(cs);
		usleep(100000);
	}
	clock_getres(CLOCK_MONOTONIC, &res);
	aslr = slurp("/proc/sys/kernel/randomize_va_space");
	printf("guestbench: info kernel=%s clocksource=%s resolution_ns=%ld scale=%g randomize_va_space=%d\n",
	       kernel, cs ? cs : "?", res.tv_nsec, scale, aslr ? atoi(aslr) : -1);
	free(aslr);
	if (!cs)
		note("no clocksource in sysfs");
	else if (strcmp(cs, "tsc"))
		note("clocksource %s, not tsc, after 10 s", cs);
	free(cs);

	have_stats = exists(SYSCTL);
	if (have_stats && !exists("/proc/self/vma_stats"))
		note("no /proc/self/vma_stats: the counters' events are not counted (events=-)");
	background_setup();
	t0 = now_ns();
	s = getenv("guestbench_rows");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (selected(s, rows[i].name))
			run_row(&rows[i], have_stats);
	printf("guestbench: info kernel=%s guest_ns=%llu\n", kernel,
	       (unsigned long long)(now_ns() - t0));
	return 0;
}
