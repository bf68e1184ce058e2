// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cgcache.h"

#define SEC 1000000000ULL
#define RETRY (10 * SEC)
#define PATHB (64 << 10)	/* arena of the caches below, unless said */

static struct td_cgcache *new_cache(uint32_t capacity)
{
	struct td_cgcache *c = NULL;

	assert_int_equal(td_cgcache_new(capacity, PATHB, RETRY, &c), 0);
	assert_non_null(c);
	return c;
}

static const struct td_cgcache_payload *pl(int32_t policy, uint32_t flags)
{
	static struct td_cgcache_payload p;

	p = (struct td_cgcache_payload){ .policy_index = policy, .flags = flags };
	return &p;
}

/* The path of @id, "-ENOENT" / "-ENXIO" otherwise. */
static const char *lookup(struct td_cgcache *c, uint64_t id, uint64_t now)
{
	const struct td_cgcache_entry *e = NULL;
	int r = td_cgcache_get(c, id, now, &e);

	if (r == -ENOENT)
		return "-ENOENT";
	if (r == -ENXIO)
		return "-ENXIO";
	assert_int_equal(r, 0);
	assert_non_null(e);
	assert_true(e->id == id);
	return e->path;
}

static void test_new_bounds(void **state)
{
	static const struct {
		uint32_t capacity;
		size_t path_bytes;
		int want;
	} cases[] = {
		{ 0, PATHB, -EINVAL },
		{ 1, PATHB, 0 },
		{ 4096, PATHB, 0 },
		{ TD_CGCACHE_CAPACITY_MAX, PATHB, 0 },
		{ TD_CGCACHE_CAPACITY_MAX + 1, PATHB, -EINVAL },
		{ 1, 0, -EINVAL },
		{ 1, TD_CGCACHE_PATH_COST(1) - 1, -EINVAL },
		{ 1, TD_CGCACHE_PATH_COST(1), 0 },
		{ 1, (size_t)TD_CGCACHE_PATH_BYTES_MAX + 1, -EINVAL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct td_cgcache *c = (struct td_cgcache *)&c;	/* untouched on error */

		assert_int_equal(td_cgcache_new(cases[i].capacity, cases[i].path_bytes, RETRY, &c),
				 cases[i].want);
		if (cases[i].want == 0) {
			struct td_cgcache_stats s;

			td_cgcache_get_stats(c, &s);
			assert_int_equal(s.capacity, cases[i].capacity);
			assert_int_equal(s.entries, 0);
			td_cgcache_free(c);
		} else {
			assert_ptr_equal(c, (struct td_cgcache *)&c);
		}
	}
	td_cgcache_free(NULL);
}

/* The header's memory bound holds, and td_cgcache_bytes() agrees. */
static void test_bytes(void **state)
{
	static const uint32_t caps[] = { 1, 2, 3, 1000, 4096, 4097, TD_CGCACHE_CAPACITY_MAX };

	assert_int_equal(td_cgcache_bytes(0, PATHB), 0);
	assert_int_equal(td_cgcache_bytes(TD_CGCACHE_CAPACITY_MAX + 1, PATHB), 0);
	assert_int_equal(td_cgcache_bytes(1, 8), 0);
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		size_t b = td_cgcache_bytes(caps[i], PATHB), b2 = td_cgcache_bytes(caps[i], 2 * PATHB);

		/* the arena counts byte for byte */
		assert_int_equal(b2 - b, PATHB);
		assert_true(b > (size_t)caps[i] * 32 + PATHB);
		assert_true(b <= (size_t)caps[i] * TD_CGCACHE_ENTRY_BYTES + TD_CGCACHE_FIXED_BYTES +
				 PATHB);
	}
	/* the header's example: capacity 8 Ki with a 2 MiB arena, under 2.5 MiB */
	assert_true(td_cgcache_bytes(8192, 2 << 20) < (size_t)25 * (1 << 20) / 10);
	assert_int_equal(TD_CGCACHE_PATH_COST(0), 16);
	assert_int_equal(TD_CGCACHE_PATH_COST(7), 16);
	assert_int_equal(TD_CGCACHE_PATH_COST(8), 24);
}

static void test_put_get(void **state)
{
	static const struct {
		uint64_t id;
		const char *path;
		int want;
	} cases[] = {
		{ 1, "/", 0 },
		{ 42, "/system.slice/foo.service", 0 },
		{ 0, "/zero", -EINVAL },
		{ 7, NULL, -EINVAL },
		{ 7, "", -EINVAL },
		{ 7, "relative", -EINVAL },
	};
	struct td_cgcache *c = new_cache(8);
	const struct td_cgcache_entry *e;
	struct td_cgcache_stats s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(td_cgcache_put(c, cases[i].id, cases[i].path, pl(i, 0)), cases[i].want);
	assert_string_equal(lookup(c, 1, 0), "/");
	assert_string_equal(lookup(c, 42, 0), "/system.slice/foo.service");
	assert_string_equal(lookup(c, 7, 0), "-ENOENT");
	assert_string_equal(lookup(c, 0, 0), "-ENOENT");

	/* payload round trip; ret may be NULL */
	assert_int_equal(td_cgcache_get(c, 42, 0, &e), 0);
	assert_int_equal(e->payload.policy_index, 1);
	assert_int_equal(td_cgcache_get(c, 42, 0, NULL), 0);

	/* a put replaces path and payload; NULL payload is zeroes */
	assert_int_equal(td_cgcache_put(c, 42, "/moved", pl(-1, 0x5)), 0);
	assert_int_equal(td_cgcache_get(c, 42, 0, &e), 0);
	assert_string_equal(e->path, "/moved");
	assert_int_equal(e->payload.policy_index, -1);
	assert_int_equal(e->payload.flags, 0x5);
	assert_int_equal(td_cgcache_put(c, 42, "/moved", NULL), 0);
	assert_int_equal(td_cgcache_get(c, 42, 0, &e), 0);
	assert_int_equal(e->payload.policy_index, 0);
	assert_int_equal(e->payload.flags, 0);

	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.hits, 6);
	assert_int_equal(s.misses, 2);
	assert_int_equal(s.negative_hits, 0);
	assert_int_equal(s.evictions, 0);
	td_cgcache_free(c);
}

/* A path of @n characters: "/" and then 'a'..'z' with a '/' every 100. */
static char *long_path(size_t n)
{
	char *p = malloc(n + 1);

	assert_non_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = i % 100 == 0 ? '/' : 'a' + (char)(i % 26);
	p[n] = '\0';
	return p;
}

/* Paths of any length, up to what the arena holds; beyond: -ENAMETOOLONG. */
static void test_path_length(void **state)
{
	static const size_t lens[] = { 511, 512, 513, 4095, 4096, 4097, 20000, 60000 };
	struct td_cgcache *c = NULL, *small = NULL;
	struct td_cgcache_stats s;
	char *p;

	assert_int_equal(td_cgcache_new(16, 1 << 20, RETRY, &c), 0);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		p = long_path(lens[i]);
		assert_int_equal(td_cgcache_put(c, 100 + i, p, pl(i, 0)), 0);
		assert_string_equal(lookup(c, 100 + i, 0), p);
		free(p);
	}
	/* one path bigger than the whole arena: refused, nothing changed */
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.evictions, 0);
	p = long_path(1 << 20);
	assert_int_equal(td_cgcache_put(c, 100, p, NULL), -ENAMETOOLONG);
	assert_int_equal(strlen(lookup(c, 100, 0)), 511);
	free(p);
	/* exactly the arena's size fits (and evicts everything else) */
	assert_int_equal(td_cgcache_new(4, TD_CGCACHE_PATH_COST(4100), RETRY, &small), 0);
	assert_int_equal(td_cgcache_put(small, 1, "/a", NULL), 0);
	p = long_path(4100);
	assert_int_equal(td_cgcache_put(small, 2, p, NULL), 0);
	assert_string_equal(lookup(small, 2, 0), p);
	assert_string_equal(lookup(small, 1, 0), "-ENOENT");
	free(p);
	p = long_path(4108);	/* the next size up: 8 bytes more */
	assert_true(TD_CGCACHE_PATH_COST(4108) > TD_CGCACHE_PATH_COST(4100));
	assert_int_equal(td_cgcache_put(small, 3, p, NULL), -ENAMETOOLONG);
	free(p);
	td_cgcache_get_stats(small, &s);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.path_bytes_live, TD_CGCACHE_PATH_COST(4100));
	assert_int_equal(s.evictions, 1);
	td_cgcache_free(small);
	td_cgcache_free(c);
}

/*
 * The arena: eviction when it has no room (least recently used first),
 * compaction of the holes freed paths leave (the paths survive it), and a
 * put of the same path that costs nothing.
 */
static void test_arena(void **state)
{
	const size_t cost = TD_CGCACHE_PATH_COST(999);
	struct td_cgcache *c = NULL;
	struct td_cgcache_stats s;
	char *p[40];

	/* room for 10 paths of 999 characters, 64 entries */
	assert_int_equal(td_cgcache_new(64, 10 * cost, RETRY, &c), 0);
	for (size_t i = 0; i < 40; i++) {
		p[i] = long_path(999);
		p[i][1] = 'A' + (char)i;	/* all different */
	}
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(td_cgcache_put(c, 1 + i, p[i], NULL), 0);
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.path_bytes_live, 10 * cost);
	assert_int_equal(s.evictions, 0);
	/* re-putting the same paths costs nothing */
	for (size_t i = 0; i < 10; i++)
		assert_int_equal(td_cgcache_put(c, 1 + i, p[i], pl(7, 0)), 0);
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.evictions, 0);
	assert_int_equal(s.compactions, 0);
	/* holes: remove 2, 4, 6; short paths still fit after compaction */
	for (size_t i = 2; i <= 6; i += 2)
		assert_int_equal(td_cgcache_remove(c, i), 0);
	assert_int_equal(td_cgcache_put(c, 50, "/short", NULL), 0);
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.compactions, 1);	/* the tail was full: holes reclaimed */
	assert_int_equal(s.evictions, 0);	/* 3 holes were more than an eighth */
	for (size_t i = 1; i <= 10; i++)
		if (i != 2 && i != 4 && i != 6)
			assert_string_equal(lookup(c, i, 0), p[i - 1]);
	assert_string_equal(lookup(c, 50, 0), "/short");
	/* a new long path for a held id replaces it in the arena */
	assert_int_equal(td_cgcache_put(c, 3, p[20], NULL), 0);
	assert_string_equal(lookup(c, 3, 0), p[20]);
	/* many more: the arena holds what fits, the most recent ones */
	for (size_t i = 0; i < 40; i++)
		assert_int_equal(td_cgcache_put(c, 100 + i, p[i], NULL), 0);
	for (size_t i = 32; i < 40; i++)
		assert_string_equal(lookup(c, 100 + i, 0), p[i]);
	td_cgcache_get_stats(c, &s);
	assert_true(s.path_bytes_live <= 10 * cost);
	assert_true(s.entries <= 10);
	/* a negative entry frees its id's path */
	assert_int_equal(td_cgcache_put_unknown(c, 139, 0), 0);
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.path_bytes_live, (s.entries) * cost);
	for (size_t i = 0; i < 40; i++)
		free(p[i]);
	td_cgcache_free(c);
}

static void test_remove_clear(void **state)
{
	struct td_cgcache *c = new_cache(4);
	struct td_cgcache_stats s;

	assert_int_equal(td_cgcache_put(c, 1, "/", NULL), 0);
	assert_int_equal(td_cgcache_put(c, 2, "/a", NULL), 0);
	assert_int_equal(td_cgcache_put_unknown(c, 3, 0), 0);
	assert_int_equal(td_cgcache_remove(c, 2), 0);
	assert_int_equal(td_cgcache_remove(c, 2), -ENOENT);
	assert_int_equal(td_cgcache_remove(c, 0), -ENOENT);
	assert_int_equal(td_cgcache_remove(c, 3), 0);		/* negative entries too */
	assert_string_equal(lookup(c, 2, 0), "-ENOENT");
	assert_string_equal(lookup(c, 3, 0), "-ENOENT");
	assert_string_equal(lookup(c, 1, 0), "/");

	td_cgcache_begin_walk(c);
	td_cgcache_clear(c);
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.entries, 0);
	assert_int_equal(s.negative_entries, 0);
	assert_int_equal(s.hits, 1);				/* counters kept */
	assert_int_equal(s.generation, 1);
	assert_string_equal(lookup(c, 1, 0), "-ENOENT");
	/* full capacity is usable again, without evictions */
	for (uint64_t id = 10; id < 14; id++)
		assert_int_equal(td_cgcache_put(c, id, "/x", NULL), 0);
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.entries, 4);
	assert_int_equal(s.evictions, 0);
	td_cgcache_free(c);
}

/* Least recently used goes first; get and put both count as use. */
static const struct {
	char op;		/* p: put, g: get, u: put_unknown */
	uint64_t id;
	const char *held;	/* ids held afterwards */
} lru_steps[] = {
	{ 'p', 1, "1" },
	{ 'p', 2, "12" },
	{ 'p', 3, "123" },
	{ 'p', 4, "234" },	/* evicts 1 */
	{ 'g', 2, "234" },	/* order now 3 4 2 */
	{ 'p', 5, "245" },	/* evicts 3 */
	{ 'p', 4, "245" },	/* an update evicts nothing; order 2 5 4 */
	{ 'u', 6, "456" },	/* negative entries take room too: evicts 2 */
	{ 'g', 5, "456" },	/* order 4 6 5 */
	{ 'p', 7, "567" },	/* evicts 4 */
	{ 'p', 8, "578" },	/* evicts 6, the negative entry */
};

/* Applies lru_steps[0..n] to a fresh cache of 3 and lists the ids it holds
 * (probing reorders the cache, so each check replays from scratch). */
static void held_after(size_t n, char *out, uint64_t *ret_evictions)
{
	struct td_cgcache *c = new_cache(3);
	struct td_cgcache_stats s;

	for (size_t j = 0; j <= n; j++) {
		if (lru_steps[j].op == 'p')
			assert_int_equal(td_cgcache_put(c, lru_steps[j].id, "/p", NULL), 0);
		else if (lru_steps[j].op == 'u')
			assert_int_equal(td_cgcache_put_unknown(c, lru_steps[j].id, 0), 0);
		else
			assert_int_equal(td_cgcache_get(c, lru_steps[j].id, 0, NULL), 0);
	}
	td_cgcache_get_stats(c, &s);
	*ret_evictions = s.evictions;
	for (uint64_t id = 1; id <= 9; id++)
		if (td_cgcache_get(c, id, 0, NULL) != -ENOENT)
			*out++ = '0' + id;
	*out = '\0';
	td_cgcache_free(c);
}

static void test_eviction_order(void **state)
{
	static const uint64_t evictions[] = { 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 5 };

	for (size_t i = 0; i < sizeof(lru_steps) / sizeof(lru_steps[0]); i++) {
		char held[16];
		uint64_t ev;

		held_after(i, held, &ev);
		assert_string_equal(held, lru_steps[i].held);
		assert_int_equal(ev, evictions[i]);
	}
}

static void test_capacity_one(void **state)
{
	struct td_cgcache *c = new_cache(1);
	struct td_cgcache_stats s;

	assert_int_equal(td_cgcache_put(c, 1, "/a", NULL), 0);
	assert_int_equal(td_cgcache_put(c, 1, "/b", NULL), 0);	/* update in place */
	assert_string_equal(lookup(c, 1, 0), "/b");
	assert_int_equal(td_cgcache_put(c, 2, "/c", NULL), 0);	/* evicts 1 */
	assert_string_equal(lookup(c, 1, 0), "-ENOENT");
	assert_string_equal(lookup(c, 2, 0), "/c");
	assert_int_equal(td_cgcache_put_unknown(c, 3, 0), 0);	/* evicts 2 */
	assert_string_equal(lookup(c, 2, 0), "-ENOENT");
	assert_string_equal(lookup(c, 3, 0), "-ENXIO");
	assert_int_equal(td_cgcache_put(c, 3, "/d", NULL), 0);	/* replaces the negative */
	assert_string_equal(lookup(c, 3, 0), "/d");
	td_cgcache_begin_walk(c);
	assert_int_equal(td_cgcache_end_walk(c), 1);
	assert_string_equal(lookup(c, 3, 0), "-ENOENT");
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.evictions, 2);
	assert_int_equal(s.entries, 0);
	assert_int_equal(s.walk_drops, 1);
	td_cgcache_free(c);
}

static void test_negative(void **state)
{
	static const struct {
		uint64_t now;
		const char *want;
	} probes[] = {
		{ 100 * SEC, "-ENXIO" },
		{ 100 * SEC + RETRY - 1, "-ENXIO" },
		{ 100 * SEC + RETRY, "-ENOENT" },	/* expired: dropped */
		{ 100 * SEC, "-ENOENT" },		/* and stays gone */
	};
	struct td_cgcache *c = new_cache(4), *z = NULL;
	struct td_cgcache_stats s;

	assert_int_equal(td_cgcache_put_unknown(c, 0, 100 * SEC), -EINVAL);
	assert_int_equal(td_cgcache_put_unknown(c, 9, 100 * SEC), 0);
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
		assert_string_equal(lookup(c, 9, probes[i].now), probes[i].want);
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.negative_hits, 2);
	assert_int_equal(s.misses, 2);
	assert_int_equal(s.negative_entries, 0);

	/* a negative entry replaces a path entry; the get leaves *ret alone */
	assert_int_equal(td_cgcache_put(c, 9, "/gone", NULL), 0);
	assert_int_equal(td_cgcache_put_unknown(c, 9, 0), 0);
	{
		const struct td_cgcache_entry *e = (void *)&e;

		assert_int_equal(td_cgcache_get(c, 9, 1, &e), -ENXIO);
		assert_ptr_equal(e, (void *)&e);
	}
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.entries, 0);
	assert_int_equal(s.negative_entries, 1);

	/* expiry saturates near the end of time */
	assert_int_equal(td_cgcache_put_unknown(c, 10, UINT64_MAX - 1), 0);
	assert_string_equal(lookup(c, 10, UINT64_MAX - 1), "-ENXIO");
	td_cgcache_free(c);

	/* retry 0: no negative caching */
	assert_int_equal(td_cgcache_new(2, PATHB, 0, &z), 0);
	assert_int_equal(td_cgcache_put_unknown(z, 9, 5), 0);
	assert_string_equal(lookup(z, 9, 5), "-ENOENT");
	td_cgcache_free(z);
}

static void test_generations(void **state)
{
	struct td_cgcache *c = new_cache(8);
	struct td_cgcache_stats s;

	assert_int_equal(td_cgcache_end_walk(c), -EINVAL);	/* no walk begun */
	assert_int_equal(td_cgcache_put(c, 1, "/", NULL), 0);
	assert_int_equal(td_cgcache_put(c, 2, "/a", NULL), 0);
	assert_int_equal(td_cgcache_put(c, 3, "/b", NULL), 0);
	assert_int_equal(td_cgcache_put_unknown(c, 4, 0), 0);

	/* walk 1 sees 1 and 3 (3 renamed), and 5 (new) */
	td_cgcache_begin_walk(c);
	assert_string_equal(lookup(c, 2, 0), "/a");		/* still there mid-walk */
	assert_int_equal(td_cgcache_put(c, 1, "/", NULL), 0);
	assert_int_equal(td_cgcache_put(c, 3, "/b2", NULL), 0);
	assert_int_equal(td_cgcache_put(c, 5, "/c", NULL), 0);
	assert_int_equal(td_cgcache_end_walk(c), 1);		/* 2 dropped */
	assert_int_equal(td_cgcache_end_walk(c), -EINVAL);	/* once */
	assert_string_equal(lookup(c, 2, 0), "-ENOENT");
	assert_string_equal(lookup(c, 3, 0), "/b2");
	assert_string_equal(lookup(c, 4, 0), "-ENXIO");		/* negatives survive */

	/* an aborted walk drops nothing; the next walk starts over */
	td_cgcache_begin_walk(c);
	assert_int_equal(td_cgcache_put(c, 1, "/", NULL), 0);
	td_cgcache_begin_walk(c);
	assert_int_equal(td_cgcache_put(c, 5, "/c", NULL), 0);
	assert_string_equal(lookup(c, 1, 0), "/");
	assert_int_equal(td_cgcache_end_walk(c), 2);		/* 1 and 3 */
	assert_string_equal(lookup(c, 1, 0), "-ENOENT");
	assert_string_equal(lookup(c, 5, 0), "/c");

	/* a lazy put between walks counts for the current generation only */
	assert_int_equal(td_cgcache_put(c, 6, "/lazy", NULL), 0);
	td_cgcache_begin_walk(c);
	assert_int_equal(td_cgcache_put(c, 5, "/c", NULL), 0);
	assert_int_equal(td_cgcache_end_walk(c), 1);		/* 6 */

	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.generation, 4);
	assert_int_equal(s.walk_drops, 4);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.negative_entries, 1);
	td_cgcache_free(c);
}

/* Many ids through a small cache: the hash chains and the LRU stay sound. */
static void test_churn(void **state)
{
	struct td_cgcache *c = new_cache(64);
	struct td_cgcache_stats s;
	char p[32];

	for (uint64_t id = 1; id <= 10000; id++) {
		snprintf(p, sizeof(p), "/cg%llu", (unsigned long long)id);
		if (id % 7 == 0)
			assert_int_equal(td_cgcache_put_unknown(c, id, id), 0);
		else
			assert_int_equal(td_cgcache_put(c, id, p, NULL), 0);
		if (id % 3 == 0)
			td_cgcache_remove(c, id - 1);
	}
	for (uint64_t id = 10000 - 40; id <= 10000; id++) {
		const char *got = lookup(c, id, 0);

		snprintf(p, sizeof(p), "/cg%llu", (unsigned long long)id);
		if (id % 3 == 2)		/* removed when id + 1 went in */
			assert_string_equal(got, "-ENOENT");
		else if (id % 7 == 0)
			assert_string_equal(got, "-ENXIO");
		else
			assert_string_equal(got, p);
	}
	assert_string_equal(lookup(c, 1, 0), "-ENOENT");
	td_cgcache_get_stats(c, &s);
	assert_int_equal(s.entries + s.negative_entries, 64);
	td_cgcache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_bounds),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_path_length),
		cmocka_unit_test(test_arena),
		cmocka_unit_test(test_remove_clear),
		cmocka_unit_test(test_eviction_order),
		cmocka_unit_test(test_capacity_one),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
