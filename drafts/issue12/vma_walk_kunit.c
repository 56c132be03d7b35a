// SPDX-License-Identifier: GPL-2.0-only
/*
 * vma_walk: a seeded random walk over the VMA operations of the fake-mm
 * harness (mm_kunit_op()), on a real mm and the real code paths, checked
 * after every step against a model of the address space.
 *
 * The other suites check the layouts their authors thought of. This one
 * takes a few thousand random steps a seed in a window of WALK_PAGES pages
 * at MM_KUNIT_BASE: anonymous and file mappings (two shmem files at linear
 * or random offsets, the special, ->close and no-split files, and the file
 * whose ->mmap() adds VM_DONTDUMP), MAP_FIXED over what is there, munmap,
 * mprotect, anon_vma names, split_vma(), mremap-like growth in place and
 * moves, and page faults that give VMAs an anon_vma. A page-granular model
 * of the window (mapped, protection, file, page offset, name) predicts what
 * each step returns, the error of the steps that must fail included, and
 * after every step the real VMAs, walked with the VMA iterator under the
 * mmap read lock, are checked against it:
 *
 *  - sorted, non-overlapping, each page of each VMA as the model has it,
 *    each page the model maps inside a VMA, the maple tree's lookups
 *    agreeing with the iterator, and map_count the number of VMAs;
 *  - two adjacent VMAs differ in something the model tracks, or the merge
 *    code's classifier (vma_merge_refusal(), asked as the scan of
 *    /proc/PID/vma_stats asks it) refuses them for a reason the model does
 *    not track but the VMAs show (an anon_vma, VM_ACCOUNT, a ->close hook,
 *    VM_SPECIAL). A pair the classifier would merge is a missed merge: a
 *    failure, but for the cases the kernel is known to leave (enum
 *    walk_known), which are counted and reported;
 *  - with CONFIG_VMA_STATS, the counters moved as the step did: the merge
 *    of the kind the VMAs after it show, the splits, unmaps and shrinks the
 *    layout before it implies, map_count changed by what they add up to,
 *    and map_count_peak never below a map_count seen.
 *
 * The model does not predict where the kernel puts VMA boundaries: the
 * checks justify each boundary instead. Where an operation's result depends
 * on them (an mprotect within one VMA, a split, the move or growth of a
 * whole VMA, a ->may_split() refusal), the walk picks its arguments from,
 * and predicts from, the layout the previous check saw.
 *
 * A failure prints the seed, the step and the last WALK_HISTORY steps. One
 * seed runs alone, and longer, with vma_walk_kunit.vma_walk_seed= and
 * vma_walk_kunit.vma_walk_steps= on the kernel command line, e.g.
 *
 *   tools/testing/kunit/kunit.py run --kunitconfig=mm/tests \
 *	--kernel_args=vma_walk_kunit.vma_walk_seed=1234 \
 *	--kernel_args=vma_walk_kunit.vma_walk_steps=100000 vma_walk
 *
 * and vma_walk_count= runs that many seeds from vma_walk_seed on (soak).
 */
#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/vma_stats.h>

#include "fake_mm.h"
#include "../internal.h"

#define WALK_PAGES		64	/* the window: pages [0, 64) from MM_KUNIT_BASE */
#define WALK_SHMEM_PAGES	64	/* the size of mm_kunit_file()'s shmem files */
#define WALK_MAX_LEN		8	/* the longest range a step picks */
#define WALK_STEPS		2500	/* steps a seed of the table takes */
#define WALK_HISTORY		8	/* steps a failure prints */
#define WALK_NOT_RUN		1	/* walk_rec.got of a step that did not return */

#define RW	MM_KUNIT_RW
#define RO	MM_KUNIT_RO
#define RX	(PROT_READ | PROT_EXEC)

static unsigned long long vma_walk_seed;
module_param(vma_walk_seed, ullong, 0644);
MODULE_PARM_DESC(vma_walk_seed, "Run this seed instead of the table (0: the table)");

static unsigned int vma_walk_steps;
module_param(vma_walk_steps, uint, 0644);
MODULE_PARM_DESC(vma_walk_steps, "Steps per seed (0: the table's, 2500)");

static unsigned int vma_walk_count = 1;
module_param(vma_walk_count, uint, 0644);
MODULE_PARM_DESC(vma_walk_count, "Seeds to run from vma_walk_seed on (soak runs)");

/* What a step does; MM_OP_MAP makes two, without and with MAP_FIXED. */
enum walk_kind {
	WALK_MAP,		/* MM_OP_MAP: vm_mmap(MAP_FIXED_NOREPLACE) */
	WALK_MAP_FIXED,		/* vm_mmap(MAP_FIXED), over whatever is mapped */
	WALK_MUNMAP,
	WALK_MPROTECT,
	WALK_NAME,
	WALK_SPLIT,
	WALK_EXTEND,
	WALK_MOVE,
	WALK_TOUCH,
	NR_WALK_KINDS
};

/* How often each step is picked, in percent. */
static const struct {
	const char *name;
	unsigned int weight;
} walk_kinds[NR_WALK_KINDS] = {
	[WALK_MAP]		= { "map", 20 },
	[WALK_MAP_FIXED]	= { "map_fixed", 8 },
	[WALK_MUNMAP]		= { "munmap", 12 },
	[WALK_MPROTECT]		= { "mprotect", 16 },
	[WALK_NAME]		= { "name", 8 },
	[WALK_SPLIT]		= { "split", 6 },
	[WALK_EXTEND]		= { "extend", 8 },
	[WALK_MOVE]		= { "move", 8 },
	[WALK_TOUCH]		= { "touch", 14 },
};

/* By enum mm_kunit_file + 1. */
static const char * const walk_file_names[MM_KUNIT_NR_FILES + 1] = {
	"anon", "shmem_a", "shmem_b", "special", "close", "nosplit", "dontdump",
};

/* The same, one character each, for the map a failure prints. */
static const char walk_file_chars[MM_KUNIT_NR_FILES + 2] = "aABSCND";

static const char *walk_file_name(int file)
{
	if (file < MM_KUNIT_ANON || file >= MM_KUNIT_NR_FILES)
		return "other";
	return walk_file_names[file + 1];
}

/* Names NAME gives: index 0 is no name. */
static const char * const walk_names[] = { NULL, "walk-a", "walk-b" };

/* By enum vma_merge_refusal, as /proc/PID/vma_stats names them. */
static const char * const walk_refusal_names[] = {
	"mergeable", "special", "flags", "file", "pgoff", "anon_vma", "uffd",
	"anon_name", "mempolicy", "close",
};

static_assert(ARRAY_SIZE(walk_refusal_names) == NR_VMA_MERGE_REFUSALS);

/* One page of the window, as the model has it. */
struct walk_page {
	bool mapped;
	u8 prot;		/* PROT_* */
	s8 file;		/* enum mm_kunit_file; MM_KUNIT_ANON for anonymous memory */
	u8 name;		/* index in walk_names[] */
	/*
	 * The page's place in its VMA's vm_pgoff space: the file page for a
	 * file, the address's page number for new anonymous memory, kept when
	 * a faulted anonymous VMA moves, as copy_vma() keeps it.
	 */
	unsigned long pgoff;
};

/* The real VMAs in the window, as a check saw them. Pages from MM_KUNIT_BASE. */
struct walk_layout {
	unsigned int nr;
	u8 start[WALK_PAGES], end[WALK_PAGES];
	bool anon_vma[WALK_PAGES];
	s8 vma_of[WALK_PAGES];		/* the VMA covering each page, or -1 */
	int map_count;
	unsigned int below;		/* VMAs of the mm below the window */
};

/* What a step must add to the merge counters, by the path it merges on. */
enum walk_merge {
	WALK_MERGE_NONE,		/* none: no merge attempted, or refused */
	WALK_MERGE_NEW,			/* vma_merge_new_range(): mmap(), copy_vma() */
	WALK_MERGE_EXISTING,		/* vma_modify(): mprotect() */
	WALK_MERGE_GROW,		/* vma_merge_extend(): an expand, or a merge of both */
	WALK_MERGE_MANY,		/* madvise_walk_vmas(): one vma_modify() a VMA */
};

/* One step, what the model expects of it and what it returned. */
struct walk_rec {
	struct mm_kunit_op op;		/* page numbers; .err: what the model expects */
	enum walk_kind kind;
	unsigned int step;
	int got;			/* what the step returned, or WALK_NOT_RUN */
	u8 name;			/* NAME: the walk_names[] index of .op.name */
	/*
	 * The counters (CONFIG_VMA_STATS). The merge kind is read from the
	 * VMA that covers [@ms, @me) after the step; @whole: a merge of the
	 * range into a neighbour removes the VMA it was; @splits is what the
	 * step splits when it merges nothing.
	 */
	u8 merge;
	u8 ms, me;
	bool whole;
	u8 splits, unmaps, shrinks;
};

/*
 * Why two adjacent VMAs the classifier would merge may stay apart: what
 * the kernel leaves, and the model marks at the boundary between them
 * (walk.known[]) until a step changes a page on either side.
 */
enum walk_known {
	WALK_KNOWN_NONE,
	/* split_vma() alone: the harness splits as madvise() does, then stops */
	WALK_KNOWN_SPLIT,
	/* munmap or MAP_FIXED refused by ->may_split() after splitting its start */
	WALK_KNOWN_FAILED,
	/*
	 * ->mmap() added VM_DONTDUMP, and mmap_region() tries the merge again
	 * with the new flags only if the mm has a VMA below the new one
	 */
	WALK_KNOWN_DONTDUMP,
	/* a fault gave a VMA its neighbour's anon_vma; faults never merge */
	WALK_KNOWN_FAULT,
	NR_WALK_KNOWN
};

#define WALK_KNOWN_SEEN	0x80	/* counted already */

static const char * const walk_known_names[NR_WALK_KNOWN] = {
	"none", "split_vma", "failed_unmap", "dontdump_no_prev", "fault",
};

struct walk {
	struct kunit *test;
	struct mm_struct *mm;
	struct file *files[MM_KUNIT_NR_FILES];
	struct rnd_state rnd;
	u64 seed;
	unsigned int step, steps;
	bool failed, torn_down;
	struct walk_page page[WALK_PAGES];
	u8 known[WALK_PAGES + 1];	/* by boundary: enum walk_known, WALK_KNOWN_SEEN */
	struct walk_layout lay[2];	/* lay[cur]: before the step; the other: after */
	unsigned int cur;
	struct vm_area_struct *vmas[WALK_PAGES];	/* the check's VMAs, under the lock */
	struct walk_rec hist[WALK_HISTORY];
	int peak;			/* the highest map_count a check saw */
	/* For the report. */
	unsigned int done[NR_WALK_KINDS], refused[NR_WALK_KINDS];
	unsigned int known_missed[NR_WALK_KNOWN];
	unsigned long hidden[NR_VMA_MERGE_REFUSALS];
#ifdef CONFIG_VMA_STATS
	unsigned long counts[2][NR_VMA_STAT_ITEMS];	/* as lay[] */
#endif
};

/* A table entry: a seed and its steps (0: WALK_STEPS). */
struct walk_seed {
	u64 seed;
	unsigned int steps;
};

static const struct walk_seed walk_seeds[] = {
	{ 1 }, { 2 }, { 3 }, { 0x1badb002 }, { 0x5eed5eed },
	{ 0x9e3779b9 }, { 0xdeadbeef }, { 20250101 }, { 4242 }, { 65536 },
};

static unsigned int walk_steps(const struct walk_seed *s)
{
	return vma_walk_steps ?: s->steps ?: WALK_STEPS;
}

static void walk_seed_desc(const struct walk_seed *s, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "seed %llu, %u steps", s->seed, walk_steps(s));
}

KUNIT_ARRAY_PARAM(walk_table, walk_seeds, walk_seed_desc);

/* The seeds vma_walk_seed and vma_walk_count ask for, one at a time. */
static struct walk_seed walk_replay;
static unsigned int walk_replay_index;

static const void *walk_gen_params(const void *prev, char *desc)
{
	if (!vma_walk_seed)
		return walk_table_gen_params(prev, desc);
	if (!prev) {
		walk_replay.seed = vma_walk_seed;
		walk_replay_index = 0;
	} else {
		if (++walk_replay_index >= max(vma_walk_count, 1U))
			return NULL;
		walk_replay.seed++;
	}
	walk_seed_desc(&walk_replay, desc);
	return &walk_replay;
}

static unsigned int walk_rand(struct walk *w, unsigned int n)
{
	return prandom_u32_state(&w->rnd) % n;
}

static __printf(2, 3) bool walk_fail(struct walk *w, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	KUNIT_FAIL(w->test, "seed %llu, step %u: %pV", w->seed, w->step, &vaf);
	va_end(args);
	w->failed = true;
	return false;
}

/* vm_pgoff of page @p of new anonymous memory: its address's page number. */
static unsigned long walk_linear(unsigned int p)
{
	return MM_KUNIT_PAGE(p) >> PAGE_SHIFT;
}

static const struct walk_layout *walk_before(const struct walk *w)
{
	return &w->lay[w->cur];
}

static bool walk_any_mapped(const struct walk *w, unsigned int s, unsigned int e)
{
	for (; s < e; s++)
		if (w->page[s].mapped)
			return true;
	return false;
}

static bool walk_all_mapped(const struct walk *w, unsigned int s, unsigned int e)
{
	for (; s < e; s++)
		if (!w->page[s].mapped)
			return false;
	return true;
}

/* Whether VMA @v of the layout before the step refuses to be split. */
static bool walk_nosplit(const struct walk *w, int v)
{
	return w->page[walk_before(w)->start[v]].file == MM_KUNIT_NOSPLIT;
}

/* Files whose VMAs may be named: anonymous memory and unlinked shmem. */
static bool walk_nameable(int file)
{
	return file == MM_KUNIT_ANON ||
	       (IS_ENABLED(CONFIG_SHMEM) && (file == MM_KUNIT_SHMEM_A || file == MM_KUNIT_SHMEM_B));
}

/*
 * A step changed pages [s, e): the boundaries around and between them
 * were reconsidered by the merge code, or now separate different pages.
 */
static void walk_touched(struct walk *w, unsigned int s, unsigned int e)
{
	memset(&w->known[s], 0, e - s + 1);
}

static void walk_unmap(struct walk *w, unsigned int s, unsigned int e)
{
	memset(&w->page[s], 0, (e - s) * sizeof(w->page[0]));
	walk_touched(w, s, e);
}

/* Picking a step. */

/* A range of 1 to WALK_MAX_LEN pages anywhere in the window. */
static void walk_pick_range(struct walk *w, unsigned int *s, unsigned int *e)
{
	unsigned int len = 1 + walk_rand(w, WALK_MAX_LEN);

	*s = walk_rand(w, WALK_PAGES - len + 1);
	*e = *s + len;
}

/*
 * Unmapped pages of the model: @len of them, or 1 to WALK_MAX_LEN if @len
 * is 0, in the first gap large enough from a random page on, at its start
 * (next to the VMA before it), at its end, or anywhere in it.
 */
static bool walk_pick_gap(struct walk *w, unsigned int len, unsigned int *s, unsigned int *e)
{
	unsigned int from = walk_rand(w, WALK_PAGES), i, p, n, gap = 0;

	for (i = 0; i < WALK_PAGES; i += gap ?: 1) {
		p = (from + i) % WALK_PAGES;
		for (gap = 0; p + gap < WALK_PAGES && !w->page[p + gap].mapped; gap++)
			;
		if (!gap || gap < len)
			continue;
		n = len ?: 1 + walk_rand(w, min_t(unsigned int, gap, WALK_MAX_LEN));
		switch (walk_rand(w, 3)) {
		case 0:
			*s = p;
			break;
		case 1:
			*s = p + gap - n;
			break;
		default:
			*s = p + walk_rand(w, gap - n + 1);
		}
		*e = *s + n;
		return true;
	}
	return false;
}

/* Weighted towards anonymous memory, and the files of each kind. */
static const s8 walk_map_files[] = {
	MM_KUNIT_ANON, MM_KUNIT_ANON, MM_KUNIT_ANON, MM_KUNIT_ANON,
	MM_KUNIT_ANON, MM_KUNIT_ANON, MM_KUNIT_ANON, MM_KUNIT_ANON,
	MM_KUNIT_SHMEM_A, MM_KUNIT_SHMEM_A, MM_KUNIT_SHMEM_A, MM_KUNIT_SHMEM_B, MM_KUNIT_SHMEM_B,
	MM_KUNIT_SPECIAL, MM_KUNIT_CLOSE, MM_KUNIT_CLOSE, MM_KUNIT_NOSPLIT, MM_KUNIT_NOSPLIT,
	MM_KUNIT_DONTDUMP, MM_KUNIT_DONTDUMP,
};

/*
 * Files are not mapped executable: the harness's files may sit on a noexec
 * mount (do_mmap() refuses PROT_EXEC there), and mprotect(2) would refuse
 * it too (VM_MAYEXEC), which the harness's mprotect does not check.
 */
static const u8 walk_anon_prots[] = { PROT_NONE, RO, RO, RW, RW, RW, RW, RX };
static const u8 walk_file_prots[] = { PROT_NONE, RO, RW, RW };

static u8 walk_pick_prot(struct walk *w, int file)
{
	if (file == MM_KUNIT_ANON)
		return walk_anon_prots[walk_rand(w, ARRAY_SIZE(walk_anon_prots))];
	return walk_file_prots[walk_rand(w, ARRAY_SIZE(walk_file_prots))];
}

/* What MAP and MAP_FIXED map at [s, e): a file, its offset, a protection. */
static void walk_pick_mapping(struct walk *w, struct mm_kunit_op *op, unsigned int s,
			      unsigned int e)
{
	op->file = walk_map_files[walk_rand(w, ARRAY_SIZE(walk_map_files))];
	op->prot = walk_pick_prot(w, op->file);
	op->arg = 0;
	if (op->file == MM_KUNIT_ANON)
		return;
	if (walk_rand(w, 10) < 7)
		op->arg = s;	/* linear: the file's ranges line up, and merge */
	else if (op->file == MM_KUNIT_SHMEM_A || op->file == MM_KUNIT_SHMEM_B)
		op->arg = walk_rand(w, WALK_SHMEM_PAGES - (e - s) + 1);	/* within the file */
	else
		op->arg = walk_rand(w, 2 * WALK_PAGES);
}

/*
 * MPROTECT: mostly within one VMA, to a protection it does not have (the
 * harness, unlike mprotect_fixup(), splits for a change to the same flags);
 * of a no-split VMA the whole of it or strictly inside (refused). Else a
 * range with a hole or across VMAs, which the harness refuses.
 */
static bool walk_gen_mprotect(struct walk *w, struct walk_rec *r)
{
	const struct walk_layout *lay = walk_before(w);
	struct mm_kunit_op *op = &r->op;
	unsigned int s, e, len, a, b, v;
	int file;

	if (!lay->nr || !walk_rand(w, 8)) {
		walk_pick_range(w, &s, &e);
		if (walk_all_mapped(w, s, e) && lay->vma_of[s] == lay->vma_of[e - 1])
			return false;
		op->prot = walk_pick_prot(w, MM_KUNIT_ANON);
	} else {
		v = walk_rand(w, lay->nr);
		s = lay->start[v];
		e = lay->end[v];
		len = e - s;
		file = w->page[s].file;
		if (file == MM_KUNIT_NOSPLIT) {
			if (len >= 3 && walk_rand(w, 2)) {
				s = lay->start[v] + 1 + walk_rand(w, len - 2);
				e = s + 1 + walk_rand(w, lay->end[v] - 1 - s);
			}
		} else {
			a = walk_rand(w, len);
			b = walk_rand(w, len);
			s = lay->start[v] + min(a, b);
			e = lay->start[v] + max(a, b) + 1;
		}
		do {
			op->prot = walk_pick_prot(w, file);
		} while (op->prot == w->page[s].prot);
	}
	op->start = s;
	op->end = e;
	return true;
}

/* Pages a write can fault in: writable anonymous memory, or shmem in the file. */
static bool walk_touchable(const struct walk_page *pg)
{
	if (!pg->mapped || !(pg->prot & PROT_WRITE))
		return false;
	if (pg->file == MM_KUNIT_ANON)
		return true;
	return (pg->file == MM_KUNIT_SHMEM_A || pg->file == MM_KUNIT_SHMEM_B) &&
	       pg->pgoff < WALK_SHMEM_PAGES;
}

/* Pick a step and its arguments; false to pick again. */
static bool walk_gen(struct walk *w, struct walk_rec *r)
{
	const struct walk_layout *lay = walk_before(w);
	struct mm_kunit_op *op = &r->op;
	unsigned int n = walk_rand(w, 100), k, s, e, v, len, p;

	for (k = 0; n >= walk_kinds[k].weight; k++)
		n -= walk_kinds[k].weight;
	r->kind = k;

	switch (r->kind) {
	case WALK_MAP:
	case WALK_MAP_FIXED:
		op->kind = MM_OP_MAP;
		/* Mostly into a gap; else anywhere: -EEXIST, or a replacement. */
		if (r->kind == WALK_MAP_FIXED || walk_rand(w, 10) >= 7 ||
		    !walk_pick_gap(w, 0, &s, &e))
			walk_pick_range(w, &s, &e);
		walk_pick_mapping(w, op, s, e);
		break;
	case WALK_MUNMAP:
		op->kind = MM_OP_MUNMAP;
		if (lay->nr && !walk_rand(w, 4)) {
			v = walk_rand(w, lay->nr);
			s = lay->start[v];
			e = lay->end[v];
		} else {
			walk_pick_range(w, &s, &e);
		}
		break;
	case WALK_MPROTECT:
		op->kind = MM_OP_MPROTECT;
		return walk_gen_mprotect(w, r);
	case WALK_NAME:
		if (!IS_ENABLED(CONFIG_ANON_VMA_NAME))
			return false;
		op->kind = MM_OP_NAME;
		r->name = 1 + walk_rand(w, ARRAY_SIZE(walk_names) - 1);
		op->name = walk_names[r->name];
		walk_pick_range(w, &s, &e);
		break;
	case WALK_SPLIT:
		op->kind = MM_OP_SPLIT;
		op->arg = walk_rand(w, 2);	/* new_below */
		v = lay->nr ? walk_rand(w, lay->nr) : 0;
		if (lay->nr && lay->end[v] - lay->start[v] >= 2 && walk_rand(w, 8))
			s = lay->start[v] + 1 + walk_rand(w, lay->end[v] - lay->start[v] - 1);
		else
			s = walk_rand(w, WALK_PAGES);	/* maybe a VMA's start or a hole */
		e = s + 1;
		break;
	case WALK_EXTEND:
		if (!lay->nr)
			return false;
		op->kind = MM_OP_EXTEND;
		v = walk_rand(w, lay->nr);
		s = lay->start[v];
		e = lay->end[v];
		if (e == WALK_PAGES)
			return false;
		op->arg = 1 + walk_rand(w, min_t(unsigned int, 4, WALK_PAGES - e));
		if (e - s >= 2 && !walk_rand(w, 8))
			s++;	/* not a whole VMA: refused */
		break;
	case WALK_MOVE:
		if (!lay->nr)
			return false;
		op->kind = MM_OP_MOVE;
		v = walk_rand(w, lay->nr);
		s = lay->start[v];
		e = lay->end[v];
		len = e - s;
		if (!walk_rand(w, 8))
			p = walk_rand(w, WALK_PAGES - len + 1);	/* maybe onto mapped pages */
		else if (!walk_pick_gap(w, len, &p, &n))
			return false;
		/*
		 * An unfaulted anonymous VMA moved next to itself merges with
		 * itself in copy_vma(), which mm_kunit_move() does not handle
		 * as move_vma() does (VM_ACCOUNT is not given back to the
		 * rest): not asked for.
		 */
		if (w->page[s].file == MM_KUNIT_ANON && !lay->anon_vma[v] &&
		    (p == e || p + len == s))
			return false;
		op->arg = p;
		break;
	case WALK_TOUCH:
		op->kind = MM_OP_TOUCH;
		for (n = 0, p = 0; p < WALK_PAGES; p++)
			n += walk_touchable(&w->page[p]);
		if (!n)
			return false;
		n = walk_rand(w, n);
		for (p = 0; !walk_touchable(&w->page[p]) || n--; p++)
			;
		s = p;
		e = p + 1;
		break;
	default:
		return false;
	}
	op->start = s;
	op->end = e;
	return true;
}

/* Predicting a step: its error, and the model after it. */

/*
 * Unmapping [s, e), as vms_gather_munmap_vmas() does it for munmap() and
 * MAP_FIXED: the VMA across @s is split first, then the one across @e. A
 * ->may_split() that refuses fails the whole operation with -EINVAL, and
 * leaves the first split done if it refused the second. Notes in @r what
 * the counters must show.
 */
static int walk_gather(struct walk *w, struct walk_rec *r, unsigned int s, unsigned int e)
{
	const struct walk_layout *lay = walk_before(w);
	int first = lay->vma_of[s], last = lay->vma_of[e - 1];
	bool split_first = first >= 0 && lay->start[first] < s;
	bool split_last = last >= 0 && lay->end[last] > e;
	unsigned int p;

	if (split_first && walk_nosplit(w, first))
		return -EINVAL;
	if (split_last && walk_nosplit(w, last)) {
		if (split_first) {
			r->splits = 1;
			w->known[s] = WALK_KNOWN_FAILED;
		}
		return -EINVAL;
	}
	r->splits = split_first + split_last;
	/* A VMA split at both ends is punched, not shrunk. */
	r->shrinks = first == last && split_first && split_last ? 0 : r->splits;
	for (p = s; p < e; p++)
		if (lay->vma_of[p] >= 0 && (p == s || lay->vma_of[p] != lay->vma_of[p - 1]))
			r->unmaps++;
	return 0;
}

/* MAP and MAP_FIXED, once [s, e) is free. */
static void walk_map(struct walk *w, struct walk_rec *r)
{
	const struct mm_kunit_op *op = &r->op;
	unsigned int s = op->start, e = op->end, p;

	for (p = s; p < e; p++) {
		struct walk_page *pg = &w->page[p];

		pg->mapped = true;
		pg->prot = op->prot;
		pg->file = op->file;
		pg->name = 0;
		pg->pgoff = op->file == MM_KUNIT_ANON ? walk_linear(p) : op->arg + p - s;
	}
	walk_touched(w, s, e);
	/*
	 * The merge was tried with the flags of before ->mmap(); mmap_region()
	 * tries again with VM_DONTDUMP only if the mm has a VMA below.
	 */
	if (op->file == MM_KUNIT_DONTDUMP && !walk_before(w)->below && !walk_any_mapped(w, 0, s) &&
	    e < WALK_PAGES && w->page[e].mapped)
		w->known[e] = WALK_KNOWN_DONTDUMP;
	r->merge = WALK_MERGE_NEW;
	r->ms = s;
	r->me = e;
}

/* As mm_kunit_mprotect() goes: one VMA must cover the range. */
static int walk_predict_mprotect(struct walk *w, struct walk_rec *r)
{
	const struct walk_layout *lay = walk_before(w);
	unsigned int s = r->op.start, e = r->op.end, p;
	int v = lay->vma_of[s];

	if (!walk_all_mapped(w, s, e) || lay->vma_of[e - 1] != v)
		return -ENOMEM;
	/* Only ever strictly inside (walk_gen_mprotect()): no merge can save it. */
	if (walk_nosplit(w, v) && (s > lay->start[v] || e < lay->end[v]))
		return -EINVAL;
	for (p = s; p < e; p++)
		w->page[p].prot = r->op.prot;
	walk_touched(w, s, e);
	r->merge = WALK_MERGE_EXISTING;
	r->ms = s;
	r->me = e;
	r->whole = s == lay->start[v] && e == lay->end[v];
	r->splits = (lay->start[v] < s) + (lay->end[v] > e);
	return 0;
}

/*
 * As madvise_walk_vmas() and madvise_vma_anon_name() go: VMA by VMA, holes
 * skipped but failing the call with -ENOMEM at the end, and -EBADF at the
 * first VMA of a file that is not shmem, the VMAs before it named.
 */
static int walk_predict_name(struct walk *w, struct walk_rec *r)
{
	unsigned int p;
	bool hole = false;

	for (p = r->op.start; p < r->op.end; p++) {
		struct walk_page *pg = &w->page[p];

		if (!pg->mapped) {
			hole = true;
			continue;
		}
		if (!walk_nameable(pg->file))
			return -EBADF;
		if (pg->name == r->name)
			continue;	/* madvise_update_vma() leaves it as it is */
		pg->name = r->name;
		walk_touched(w, p, p + 1);
		r->merge = WALK_MERGE_MANY;
	}
	return hole ? -ENOMEM : 0;
}

static int walk_predict(struct walk *w, struct walk_rec *r)
{
	const struct walk_layout *lay = walk_before(w);
	unsigned int s = r->op.start, e = r->op.end, d, len, i;
	int v = lay->vma_of[s], err;
	bool unfaulted;

	switch (r->kind) {
	case WALK_MAP:
		if (walk_any_mapped(w, s, e))
			return -EEXIST;
		walk_map(w, r);
		return 0;
	case WALK_MAP_FIXED:
		err = walk_gather(w, r, s, e);
		if (!err)
			walk_map(w, r);
		return err;
	case WALK_MUNMAP:
		err = walk_gather(w, r, s, e);
		if (!err)
			walk_unmap(w, s, e);
		return err;
	case WALK_MPROTECT:
		return walk_predict_mprotect(w, r);
	case WALK_NAME:
		return walk_predict_name(w, r);
	case WALK_SPLIT:
		/* The harness's own refusal: not strictly inside a VMA. */
		if (v < 0 || lay->start[v] == s)
			return -EFAULT;
		if (walk_nosplit(w, v))
			return -EINVAL;
		w->known[s] = WALK_KNOWN_SPLIT;
		r->splits = 1;
		return 0;
	case WALK_EXTEND:
		d = r->op.arg;
		if (v < 0 || lay->start[v] != s || lay->end[v] != e || walk_any_mapped(w, e, e + d))
			return -EFAULT;
		/* vma_merge_extend() cannot grow it (mremap(2) refuses earlier). */
		if (w->page[s].file == MM_KUNIT_SPECIAL)
			return -ENOMEM;
		for (i = 0; i < d; i++) {
			w->page[e + i] = w->page[e - 1];
			w->page[e + i].pgoff += i + 1;
		}
		walk_touched(w, e, e + d);
		r->merge = WALK_MERGE_GROW;
		r->ms = s;
		r->me = e + d;
		return 0;
	case WALK_MOVE:
		d = r->op.arg;
		len = e - s;
		if (v < 0 || lay->start[v] != s || lay->end[v] != e ||
		    walk_any_mapped(w, d, d + len))
			return -EFAULT;
		/* copy_vma() gives an unfaulted anonymous VMA its new place's pgoff. */
		unfaulted = w->page[s].file == MM_KUNIT_ANON && !lay->anon_vma[v];
		for (i = 0; i < len; i++) {
			w->page[d + i] = w->page[s + i];
			if (unfaulted)
				w->page[d + i].pgoff = walk_linear(d + i);
		}
		walk_unmap(w, s, e);
		walk_touched(w, d, d + len);
		r->merge = WALK_MERGE_NEW;
		r->ms = d;
		r->me = d + len;
		r->unmaps = 1;
		return 0;
	case WALK_TOUCH:
		/*
		 * A VMA faulted for the first time may take its neighbour's
		 * anon_vma (anon_vma_prepare()): the pair can then merge, but
		 * nothing tries until a later step changes one of them.
		 */
		if (!lay->anon_vma[v]) {
			if (!w->known[lay->start[v]])
				w->known[lay->start[v]] = WALK_KNOWN_FAULT;
			if (!w->known[lay->end[v]])
				w->known[lay->end[v]] = WALK_KNOWN_FAULT;
		}
		return 0;
	default:
		return -EINVAL;
	}
}

/* Doing a step. */

static int walk_do(struct walk *w, const struct walk_rec *r)
{
	const struct mm_kunit_op *op = &r->op;
	unsigned long addr, ret;
	struct file *file;

	if (r->kind != WALK_MAP_FIXED)
		return mm_kunit_op(w->test, w->mm, op, w->files);
	/* MM_OP_MAP never replaces (MAP_FIXED_NOREPLACE): as mmap(MAP_FIXED) does. */
	file = op->file == MM_KUNIT_ANON ? NULL : w->files[op->file];
	addr = MM_KUNIT_PAGE(op->start);
	ret = vm_mmap(file, addr, MM_KUNIT_PAGE(op->end) - addr, op->prot,
		      MAP_PRIVATE | MAP_FIXED | (file ? 0 : MAP_ANONYMOUS), op->arg << PAGE_SHIFT);
	if (IS_ERR_VALUE(ret))
		return (int)ret;
	return ret == addr ? 0 : -EFAULT;	/* elsewhere: cannot be, with MAP_FIXED */
}

/* Checking the VMAs. */

static u8 walk_vma_prot(const struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_READ ? PROT_READ : 0) |
	       (vma->vm_flags & VM_WRITE ? PROT_WRITE : 0) |
	       (vma->vm_flags & VM_EXEC ? PROT_EXEC : 0);
}

/* The harness file a VMA maps, MM_KUNIT_ANON, or MM_KUNIT_NR_FILES for another. */
static int walk_vma_file(const struct walk *w, const struct vm_area_struct *vma)
{
	int f;

	if (!vma->vm_file)
		return MM_KUNIT_ANON;
	for (f = 0; f < MM_KUNIT_NR_FILES; f++)
		if (vma->vm_file == w->files[f])
			return f;
	return MM_KUNIT_NR_FILES;
}

/* The walk_names[] index of a VMA's name, or -1 for another. Under the mmap lock. */
static int walk_vma_name(struct vm_area_struct *vma)
{
	struct anon_vma_name *name = anon_vma_name(vma);
	int i;

	if (!name)
		return 0;
	for (i = 1; i < ARRAY_SIZE(walk_names); i++)
		if (!strcmp(name->name, walk_names[i]))
			return i;
	return -1;
}

/* The flags a file's ->mmap() sets, which every VMA of it must have. */
#define WALK_FILE_FLAGS	(VM_SPECIAL | VM_DONTDUMP)

static vm_flags_t walk_file_flags(int file)
{
	switch (file) {
	case MM_KUNIT_SPECIAL:
		return VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
	case MM_KUNIT_DONTDUMP:
		return VM_DONTDUMP;
	default:
		return 0;
	}
}

/* Each page of the VMA covering pages [ps, pe) as the model has it. */
static bool walk_check_vma(struct walk *w, struct vm_area_struct *vma, unsigned int ps,
			   unsigned int pe)
{
	int file = walk_vma_file(w, vma), name = walk_vma_name(vma);
	bool close = vma->vm_ops && vma->vm_ops->close;
	bool nosplit = vma->vm_ops && vma->vm_ops->may_split;
	bool is_close = file == MM_KUNIT_CLOSE, is_nosplit = file == MM_KUNIT_NOSPLIT;
	bool is_anon = file == MM_KUNIT_ANON;
	u8 prot = walk_vma_prot(vma);
	unsigned int p;

	if (file == MM_KUNIT_NR_FILES || name < 0)
		return walk_fail(w, "VMA [%u, %u): a file or a name the walk never used", ps, pe);
	if ((vma->vm_flags & WALK_FILE_FLAGS) != walk_file_flags(file) || close != is_close ||
	    nosplit != is_nosplit || vma_is_anonymous(vma) != is_anon)
		return walk_fail(w, "VMA [%u, %u) of %s: vm_flags %#lx, vm_ops %ps", ps, pe,
				 walk_file_name(file), vma->vm_flags, vma->vm_ops);
	for (p = ps; p < pe; p++) {
		const struct walk_page *pg = &w->page[p];
		unsigned long pgoff = vma->vm_pgoff + (p - ps);

		if (!pg->mapped)
			return walk_fail(w, "page %u is in VMA [%u, %u), unmapped in the model",
					 p, ps, pe);
		if (pg->prot != prot || pg->file != file || pg->name != name || pg->pgoff != pgoff)
			return walk_fail(w,
					 "page %u of VMA [%u, %u): prot %#x %s pgoff %#lx name %d; model: prot %#x %s pgoff %#lx name %d",
					 p, ps, pe, prot, walk_file_name(file), pgoff, name,
					 pg->prot, walk_file_name(pg->file), pg->pgoff, pg->name);
	}
	return true;
}

/* As vma_pair_refusal() in mm/vma_stats.c: @vma joined to @prev would remove it. */
static enum vma_merge_refusal walk_pair_refusal(struct vm_area_struct *prev,
						struct vm_area_struct *vma)
{
	VMG_VMA_STATE(vmg, NULL, prev, vma, vma->vm_start, vma->vm_end);
	enum vma_merge_refusal why = vma_merge_refusal(&vmg, /* merge_next = */ false);

	if (why == VMA_MERGE_OK && vma->vm_ops && vma->vm_ops->close)
		why = VMA_REFUSED_CLOSE;
	return why;
}

/* Two pages the model cannot tell apart: one VMA could hold both. */
static bool walk_pages_alike(const struct walk_page *a, const struct walk_page *b)
{
	return a->mapped && b->mapped && a->prot == b->prot && a->file == b->file &&
	       a->name == b->name && b->pgoff == a->pgoff + 1;
}

/* Whether the VMAs show what the classifier refused them for. */
static bool walk_refusal_shown(struct vm_area_struct *prev, struct vm_area_struct *vma,
			       enum vma_merge_refusal why)
{
	vm_flags_t diff = (prev->vm_flags ^ vma->vm_flags) & ~VM_SOFTDIRTY;

	switch (why) {
	case VMA_REFUSED_SPECIAL:
		return (prev->vm_flags | vma->vm_flags) & VM_SPECIAL;
	case VMA_REFUSED_FLAGS:
		/* mprotect() adds VM_ACCOUNT, and never takes it away. */
		return diff && !(diff & ~VM_ACCOUNT);
	case VMA_REFUSED_ANON_VMA:
		return prev->anon_vma != vma->anon_vma;
	case VMA_REFUSED_CLOSE:
		return vma->vm_ops && vma->vm_ops->close;
	default:
		return false;	/* files, offsets and names are the model's */
	}
}

/* Two adjacent VMAs, @vma starting at page @b: different, refused, or known. */
static bool walk_check_pair(struct walk *w, struct vm_area_struct *prev,
			    struct vm_area_struct *vma, unsigned int b)
{
	enum vma_merge_refusal why = walk_pair_refusal(prev, vma);
	bool alike = walk_pages_alike(&w->page[b - 1], &w->page[b]);
	u8 known = w->known[b] & ~WALK_KNOWN_SEEN;

	if (why == VMA_MERGE_OK) {
		if (!alike)
			return walk_fail(w, "VMAs at page %u: mergeable, the pages differ", b);
		if (!known)
			return walk_fail(w,
					 "missed merge at page %u: VMAs [%#lx, %#lx) and [%#lx, %#lx)",
					 b, prev->vm_start, prev->vm_end, vma->vm_start,
					 vma->vm_end);
		if (!(w->known[b] & WALK_KNOWN_SEEN)) {
			w->known_missed[known]++;
			w->known[b] |= WALK_KNOWN_SEEN;
		}
		return true;
	}
	if (!alike)
		return true;
	w->hidden[why]++;
	if (!walk_refusal_shown(prev, vma, why))
		return walk_fail(w,
				 "VMAs at page %u refused for %s, which they do not show: vm_flags %#lx and %#lx, anon_vma %p and %p",
				 b, walk_refusal_names[why], prev->vm_flags, vma->vm_flags,
				 prev->anon_vma, vma->anon_vma);
	return true;
}

#ifdef CONFIG_VMA_STATS
static bool walk_is_refusal(int item)
{
	return item >= VMA_STAT_REFUSED_SPECIAL && item <= VMA_STAT_REFUSED_CLOSE;
}

/*
 * A step with the range's merge spread over the VMAs it visits (NAME): no
 * new range, unmap or shrink; at most the two end VMAs split; map_count up
 * by the splits at most, and down by at most two VMAs a merge.
 */
static bool walk_check_stats_many(struct walk *w, const unsigned long *b, const unsigned long *a,
				  long dmc)
{
	long splits = a[VMA_STAT_SPLIT] - b[VMA_STAT_SPLIT];
	long merges = 0;
	int item;

	for (item = VMA_STAT_MERGE_NEW_PREV; item < NR_VMA_STAT_ITEMS; item++) {
		if (item >= VMA_STAT_MERGE_EXISTING_PREV && item <= VMA_STAT_MERGE_EXISTING_BOTH) {
			merges += a[item] - b[item];
			continue;
		}
		if (walk_is_refusal(item) || item == VMA_STAT_SPLIT || a[item] == b[item])
			continue;
		return walk_fail(w, "counter %d moved by %ld", item, (long)(a[item] - b[item]));
	}
	if (splits > 2 || dmc > splits || dmc < splits - 2 * merges)
		return walk_fail(w, "map_count moved by %ld with %ld splits and %ld merges",
				 dmc, splits, merges);
	return true;
}

/*
 * The counters moved as the step did: exactly the merge the VMAs after it
 * show (the range's VMA reaching below or above it), the splits, unmaps
 * and shrinks the layout before it implies, at most one refusal a
 * neighbour, map_count by what all that adds up to, and map_count_peak
 * never below a map_count a check saw.
 */
static bool walk_check_stats(struct walk *w, const struct walk_rec *r)
{
	const struct walk_layout *before = &w->lay[w->cur], *after = &w->lay[w->cur ^ 1];
	const unsigned long *b = w->counts[w->cur], *a = w->counts[w->cur ^ 1];
	long want[NR_VMA_STAT_ITEMS] = {}, refused = 0, dmc, want_dmc;
	bool left, right;
	int item, v;

	w->peak = max(w->peak, after->map_count);
	if (vma_stats_map_count_peak(w->mm) < w->peak)
		return walk_fail(w, "map_count_peak %d below a map_count seen, %d",
				 vma_stats_map_count_peak(w->mm), w->peak);
	dmc = after->map_count - before->map_count;
	if (r->merge == WALK_MERGE_MANY)
		return walk_check_stats_many(w, b, a, dmc);

	want[VMA_STAT_SPLIT] = r->splits;
	want[VMA_STAT_UNMAP] = r->unmaps;
	want[VMA_STAT_SHRINK] = r->shrinks;
	want_dmc = r->splits - r->unmaps;
	if (r->merge != WALK_MERGE_NONE) {
		v = after->vma_of[r->ms];
		left = after->start[v] < r->ms;
		right = after->end[v] > r->me;
		switch (r->merge) {
		case WALK_MERGE_NEW:
			if (left || right)
				want[left && right ? VMA_STAT_MERGE_NEW_BOTH :
				     left ? VMA_STAT_MERGE_NEW_PREV : VMA_STAT_MERGE_NEW_NEXT] = 1;
			want_dmc += left && right ? -1 : left || right ? 0 : 1;
			break;
		case WALK_MERGE_EXISTING:
			if (!left && !right)
				break;
			/* Merged instead of split; removing the VMA, and next too. */
			want[left && right ? VMA_STAT_MERGE_EXISTING_BOTH :
			     left ? VMA_STAT_MERGE_EXISTING_PREV :
			     VMA_STAT_MERGE_EXISTING_NEXT] = 1;
			want[VMA_STAT_SPLIT] = 0;
			want_dmc = left && right ? -2 : r->whole ? -1 : 0;
			break;
		case WALK_MERGE_GROW:
			/* Growing next to a VMA it merges with is a merge; else an expand. */
			want[right ? VMA_STAT_MERGE_NEW_BOTH : VMA_STAT_EXPAND] = 1;
			want_dmc = right ? -1 : 0;
			break;
		}
	}
	for (item = VMA_STAT_MERGE_NEW_PREV; item < NR_VMA_STAT_ITEMS; item++) {
		long d = a[item] - b[item];

		if (walk_is_refusal(item))
			refused += d;
		else if (d != want[item])
			return walk_fail(w, "counter %d moved by %ld, want %ld", item, d,
					 want[item]);
	}
	if (refused < 0 || refused > (r->kind == WALK_MUNMAP || r->kind == WALK_SPLIT ||
				      r->kind == WALK_TOUCH ? 0 : 2))
		return walk_fail(w, "%ld refusals counted", refused);
	if (dmc != want_dmc)
		return walk_fail(w, "map_count moved by %ld, the counters say %ld", dmc, want_dmc);
	return true;
}
#endif

/*
 * Walk the VMAs and check them against the model; fill the layout after
 * the step, then make it the one before the next. @r: the step, or NULL
 * before the first.
 */
static bool walk_check(struct walk *w, const struct walk_rec *r)
{
	VMA_ITERATOR(vmi, w->mm, 0);
	struct walk_layout *lay = &w->lay[w->cur ^ 1];
	struct vm_area_struct *vma, *prev = NULL;
	unsigned int total = 0, mapped = 0, ps, pe, p, v;
	struct mm_struct *mm = w->mm;
	bool ok = true;

	lay->nr = 0;
	lay->below = 0;
	memset(lay->vma_of, -1, sizeof(lay->vma_of));
	mmap_read_lock(mm);
	for_each_vma(vmi, vma) {
		total++;
		if (vma->vm_start >= vma->vm_end || offset_in_page(vma->vm_start) ||
		    offset_in_page(vma->vm_end) || (prev && vma->vm_start < prev->vm_end)) {
			ok = walk_fail(w, "VMA [%#lx, %#lx) after [%#lx, %#lx)", vma->vm_start,
				       vma->vm_end, prev ? prev->vm_start : 0,
				       prev ? prev->vm_end : 0);
			break;
		}
		if (vma->vm_end <= MM_KUNIT_BASE) {
			lay->below++;
		} else if (vma->vm_start < MM_KUNIT_PAGE(WALK_PAGES)) {
			if (vma->vm_start < MM_KUNIT_BASE ||
			    vma->vm_end > MM_KUNIT_PAGE(WALK_PAGES)) {
				ok = walk_fail(w, "VMA [%#lx, %#lx) crosses the window's edge",
					       vma->vm_start, vma->vm_end);
				break;
			}
			ps = (vma->vm_start - MM_KUNIT_BASE) >> PAGE_SHIFT;
			pe = (vma->vm_end - MM_KUNIT_BASE) >> PAGE_SHIFT;
			v = lay->nr++;
			lay->start[v] = ps;
			lay->end[v] = pe;
			lay->anon_vma[v] = vma->anon_vma;
			memset(&lay->vma_of[ps], v, pe - ps);
			w->vmas[v] = vma;
			mapped += pe - ps;
			ok = walk_check_vma(w, vma, ps, pe);
			if (ok && ps && prev && prev->vm_end == vma->vm_start)
				ok = walk_check_pair(w, prev, vma, ps);
			if (!ok)
				break;
		}
		prev = vma;
	}
	if (ok && mm->map_count != total)
		ok = walk_fail(w, "map_count %d, the iterator sees %u VMAs", mm->map_count, total);
	if (ok) {
		/* Every page the model maps was in a VMA: the VMAs' pages are all mapped. */
		for (p = 0; p < WALK_PAGES; p++)
			mapped -= w->page[p].mapped;
		if (mapped)
			ok = walk_fail(w, "the model maps pages no VMA covers");
	}
	/* The tree's own lookup finds what the iterator found. */
	for (p = 0; ok && p < WALK_PAGES; p++) {
		vma = vma_lookup(mm, MM_KUNIT_PAGE(p));
		if (vma != (lay->vma_of[p] < 0 ? NULL : w->vmas[lay->vma_of[p]]))
			ok = walk_fail(w, "vma_lookup() of page %u: %p, the iterator's %p", p, vma,
				       lay->vma_of[p] < 0 ? NULL : w->vmas[lay->vma_of[p]]);
	}
	/* With CONFIG_DEBUG_VM_MAPLE_TREE: the tree's own checks; else nothing. */
	if (ok)
		validate_mm(mm);
	lay->map_count = mm->map_count;
	mmap_read_unlock(mm);

#ifdef CONFIG_VMA_STATS
	vma_stats_read(mm, w->counts[w->cur ^ 1]);
	if (ok && r)
		ok = walk_check_stats(w, r);
	else if (!r)
		w->peak = lay->map_count;
#endif
	if (ok)
		w->cur ^= 1;
	return ok;
}

/* One step: pick it, predict it, do it, check it. */
static bool walk_step(struct walk *w)
{
	struct walk_rec *r = &w->hist[w->step % WALK_HISTORY];
	unsigned int tries = 0;

	do {
		memset(r, 0, sizeof(*r));
		r->op.file = MM_KUNIT_ANON;
		r->step = w->step;
		r->got = WALK_NOT_RUN;
		if (++tries > 64)
			return walk_fail(w, "no step to take");
	} while (!walk_gen(w, r));
	r->op.err = walk_predict(w, r);
	r->got = walk_do(w, r);
	w->done[r->kind]++;
	if (r->got != r->op.err)
		return walk_fail(w, "%s returned %d, the model expects %d",
				 walk_kinds[r->kind].name, r->got, r->op.err);
	if (r->op.err)
		w->refused[r->kind]++;
	cond_resched();
	return walk_check(w, r);
}

/* Printing what led to a failure. */

static const char *walk_prot_name(unsigned long prot)
{
	switch (prot) {
	case PROT_NONE:
		return "---";
	case RO:
		return "r--";
	case RW:
		return "rw-";
	case RX:
		return "r-x";
	default:
		return "???";
	}
}

static void walk_print_rec(struct walk *w, const struct walk_rec *r)
{
	const struct mm_kunit_op *op = &r->op;
	char got[24];

	if (r->got == WALK_NOT_RUN)
		strscpy(got, "did not return", sizeof(got));
	else
		snprintf(got, sizeof(got), "got %d", r->got);
	kunit_err(w->test, "  step %u: %s [%lu, %lu) %s %s arg %lu name %s: want %d, %s",
		  r->step, walk_kinds[r->kind].name, op->start, op->end,
		  walk_file_name(op->file), walk_prot_name(op->prot), op->arg,
		  op->name ?: "-", op->err, got);
}

/*
 * After a failed case (a check, or an assertion in the harness): the seed
 * and how to replay it, the last steps, the model and the real VMAs.
 */
static void walk_dump(void *data)
{
	struct walk *w = data;
	struct kunit *test = w->test;
	char files[WALK_PAGES + 1], prots[WALK_PAGES + 1], names[WALK_PAGES + 1];
	unsigned int i = w->step > WALK_HISTORY ? w->step - WALK_HISTORY + 1 : 1;
	struct vm_area_struct *vma;

	if (test->status != KUNIT_FAILURE)
		return;
	kunit_err(test,
		  "vma_walk: seed %llu failed at step %u of %u; to replay it: vma_walk_kunit.vma_walk_seed=%llu vma_walk_kunit.vma_walk_steps=%u",
		  w->seed, w->step, w->steps, w->seed, w->step);
	kunit_err(test, "the last steps, pages from %#lx:", MM_KUNIT_BASE);
	for (; i <= w->step; i++)
		if (w->hist[i % WALK_HISTORY].step == i)
			walk_print_rec(w, &w->hist[i % WALK_HISTORY]);

	for (i = 0; i < WALK_PAGES; i++) {
		const struct walk_page *pg = &w->page[i];

		files[i] = pg->mapped ? walk_file_chars[pg->file + 1] : '.';
		prots[i] = !pg->mapped ? '.' : pg->prot == RW ? 'w' : pg->prot == RX ? 'x' :
			   pg->prot == RO ? 'r' : '-';
		names[i] = pg->mapped ? '0' + pg->name : '.';
	}
	files[WALK_PAGES] = '\0';
	prots[WALK_PAGES] = '\0';
	names[WALK_PAGES] = '\0';
	kunit_err(test, "model, files: %s", files);
	kunit_err(test, "model, prot:  %s", prots);
	kunit_err(test, "model, names: %s", names);

	if (w->torn_down || !mmap_read_trylock(w->mm))
		return;
	{
		VMA_ITERATOR(vmi, w->mm, MM_KUNIT_BASE);

		kunit_err(test, "map_count %d; the VMAs from the window on:", w->mm->map_count);
		for_each_vma(vmi, vma)
			kunit_err(test,
				  "  [%#lx, %#lx) vm_flags %#lx pgoff %#lx %s anon_vma %p name %d",
				  vma->vm_start, vma->vm_end, vma->vm_flags, vma->vm_pgoff,
				  walk_file_name(walk_vma_file(w, vma)), vma->anon_vma,
				  walk_vma_name(vma));
	}
	mmap_read_unlock(w->mm);
}

static void walk_report(struct walk *w)
{
	char buf[256];
	int i, n;

	for (n = 0, i = 0; i < NR_WALK_KINDS; i++)
		n += scnprintf(buf + n, sizeof(buf) - n, " %s %u/%u", walk_kinds[i].name,
			       w->done[i], w->refused[i]);
	kunit_info(w->test, "seed %llu: %u steps checked; steps (done/failed as expected):%s",
		   w->seed, w->steps, buf);
	for (n = 0, i = WALK_KNOWN_NONE + 1; i < NR_WALK_KNOWN; i++)
		n += scnprintf(buf + n, sizeof(buf) - n, " %s %u", walk_known_names[i],
			       w->known_missed[i]);
	kunit_info(w->test, "seed %llu: known unmerged pairs:%s", w->seed, buf);
	for (n = 0, i = VMA_MERGE_OK + 1; i < NR_VMA_MERGE_REFUSALS; i++)
		n += scnprintf(buf + n, sizeof(buf) - n, " %s %lu", walk_refusal_names[i],
			       w->hidden[i]);
	kunit_info(w->test,
		   "seed %llu: refusals of pairs the model cannot tell apart (pair-steps):%s",
		   w->seed, buf);
}

/*
 * One seed: its steps on one fake mm, each checked against the model, and
 * the mm torn down through the harness at the end, mm_users at zero.
 */
static void vma_walk_test(struct kunit *test)
{
	const struct walk_seed *s = test->param_value;
	struct walk *w;
	int f;

	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	w->test = test;
	w->seed = s->seed;
	w->steps = walk_steps(s);
	prandom_seed_state(&w->rnd, w->seed);
	/* prandom_seed_state() does not warm the generator up, as seeding it fully does. */
	for (f = 0; f < 10; f++)
		prandom_u32_state(&w->rnd);
#ifdef CONFIG_VMA_STATS
	/* Before the mm: its counters and map_count_peak start with it. */
	mm_kunit_vma_stats(test, true);
#endif
	w->mm = mm_kunit_attach(test);
	for (f = 0; f < MM_KUNIT_NR_FILES; f++)
		mm_kunit_file(test, w->files, f);
	/* After the mm's and the files' actions: runs before them. */
	KUNIT_ASSERT_EQ(test, 0, kunit_add_action_or_reset(test, walk_dump, w));

	if (!walk_check(w, NULL))
		return;
	for (w->step = 1; w->step <= w->steps; w->step++)
		if (!walk_step(w))
			return;
	w->step = w->steps;
	walk_report(w);
	w->torn_down = true;
	mm_kunit_teardown(test, w->mm);
}

static struct kunit_case vma_walk_test_cases[] = {
	KUNIT_CASE_PARAM(vma_walk_test, walk_gen_params),
	{}
};

static struct kunit_suite vma_walk_test_suite = {
	.name = "vma_walk",
	.test_cases = vma_walk_test_cases,
};

kunit_test_suite(vma_walk_test_suite);

MODULE_DESCRIPTION("KUnit random walk over VMA operations, checked against a model");
MODULE_LICENSE("GPL");
