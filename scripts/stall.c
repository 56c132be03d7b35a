// SPDX-License-Identifier: GPL-2.0
/*
 * How long a reader of a /proc/self file stalls the process's own mmap()
 * and munmap(): run in the selftest guest by 'make bench' (scripts/
 * selftest.sh stall), not part of the series.
 *
 *   stall VMAS SECONDS FILE...
 *
 * Builds VMAS VMAs (one mapping, every other page made read-only: adjacent
 * VMAs that cannot merge), then for each FILE ("none" for no reader) runs
 * two threads for SECONDS: a reader that reads the whole file again and
 * again, and a writer that maps and unmaps one page again and again and
 * times each mmap+munmap pair. Prints one line per FILE:
 *
 *   stall file=F vmas=N reads=N ops=N median_us=N p99_us=N max_us=N
 *
 * Each thread is pinned to a CPU of its own (two are needed: one CPU would
 * measure the scheduler, not the lock).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MAX_OPS		(1 << 22)

static const char *path;
static volatile int stop;
static unsigned long reads;
static unsigned int *lat_ns;	/* per op */
static unsigned long ops;

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void *reader(void *arg)
{
	static char buf[1 << 16];
	int fd;

	pin(1);
	while (!stop) {
		fd = open(path, O_RDONLY);
		if (fd < 0) {
			perror(path);
			exit(1);
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
		reads++;
	}
	return NULL;
}

static void *writer(void *arg)
{
	long ps = sysconf(_SC_PAGESIZE);

	pin(0);
	while (!stop && ops < MAX_OPS) {
		unsigned long long t0 = now_ns(), t;
		void *p = mmap(NULL, ps, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED || munmap(p, ps)) {
			perror("mmap/munmap");
			exit(1);
		}
		t = now_ns() - t0;
		lat_ns[ops++] = t > ~0U ? ~0U : t;
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* The number of VMAs, from /proc/self/maps. */
static long count_vmas(void)
{
	static char buf[1 << 16];
	long n = 0;
	ssize_t len;
	int fd = open("/proc/self/maps", O_RDONLY);

	while ((len = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < len; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

int main(int argc, char **argv)
{
	long ps = sysconf(_SC_PAGESIZE), want, i, have;
	unsigned int seconds;
	char *area;
	int f;

	if (argc < 4) {
		fprintf(stderr, "usage: %s VMAS SECONDS FILE...\n", argv[0]);
		return 2;
	}
	want = atol(argv[1]);
	seconds = atoi(argv[2]);
	lat_ns = malloc(MAX_OPS * sizeof(*lat_ns));
	/* Leave room for the writer's page, the threads' stacks and malloc. */
	have = count_vmas();
	want -= have + 8;
	area = mmap(NULL, want * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!lat_ns || area == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (i = 1; i < want; i += 2)
		if (mprotect(area + i * ps, ps, PROT_READ)) {
			perror("mprotect");
			return 1;
		}
	for (f = 3; f < argc; f++) {
		pthread_t r, w;
		char file[64];

		path = NULL;
		if (strcmp(argv[f], "none")) {
			snprintf(file, sizeof(file), "/proc/self/%s", argv[f]);
			path = file;
		}
		stop = 0;
		reads = ops = 0;
		if (path)
			pthread_create(&r, NULL, reader, NULL);
		pthread_create(&w, NULL, writer, NULL);
		sleep(seconds);
		stop = 1;
		pthread_join(w, NULL);
		if (path)
			pthread_join(r, NULL);
		qsort(lat_ns, ops, sizeof(*lat_ns), cmp);
		printf("stall file=%s vmas=%ld reads=%lu ops=%lu median_us=%u p99_us=%u max_us=%u\n",
		       argv[f], count_vmas(), reads, ops, lat_ns[ops / 2] / 1000,
		       lat_ns[ops - ops / 100 - 1] / 1000, lat_ns[ops - 1] / 1000);
		fflush(stdout);
	}
	return 0;
}
