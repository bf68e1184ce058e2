// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgcache.c - see cgcache.h. Nodes live in one array; a power-of-two bucket
 * array of chain heads finds them by id, and one doubly linked list threads
 * them from most to least recently used. Links are 32-bit indexes, not
 * pointers, to keep the per-entry cost down; free nodes are chained through
 * their next link.
 *
 * Paths live in one arena, appended at its tail: a block is an 8-byte
 * header (the node that owned it, the block's size) and the path. A freed
 * path is a hole until the tail has no room; then compaction slides every
 * block its node still owns (node.off == the block's offset) to the front,
 * in arena order, in place.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cgcache.h"

#define NIL UINT32_MAX

enum kind {
	KIND_FREE = 0,
	KIND_PATH,
	KIND_NEGATIVE,
};

struct node {
	struct td_cgcache_entry e;
	/* KIND_PATH: generation of the last put; KIND_NEGATIVE: expiry time */
	uint64_t stamp;
	uint32_t prev, next;	/* LRU list; next also chains the free list */
	uint32_t hnext;		/* bucket chain */
	uint32_t off;		/* KIND_PATH: its block in the arena; else NIL */
	uint8_t kind;
};

/* The header of an arena block; the path follows it. */
struct blk {
	uint32_t node;
	uint32_t size;		/* the whole block, header included */
};

struct td_cgcache {
	struct node *nodes;
	uint32_t *buckets;
	uint32_t capacity;
	uint32_t mask;		/* buckets - 1 */
	uint32_t head, tail;	/* most and least recently used */
	uint32_t free;
	uint64_t retry_ns;
	uint64_t generation;
	bool walking;
	char *arena;
	uint32_t arena_size, arena_used, arena_live;	/* bytes: all, up to the tail, held */
	uint64_t entries, negative_entries;
	uint64_t hits, negative_hits, misses, evictions, walk_drops, compactions;
};

_Static_assert(sizeof(struct node) + 2 * sizeof(uint32_t) <= TD_CGCACHE_ENTRY_BYTES,
	       "cgcache node outgrew TD_CGCACHE_ENTRY_BYTES");
_Static_assert(sizeof(struct blk) == 8, "TD_CGCACHE_PATH_COST() counts an 8-byte header");
_Static_assert(sizeof(struct td_cgcache) <= TD_CGCACHE_FIXED_BYTES,
	       "cgcache outgrew TD_CGCACHE_FIXED_BYTES");

static uint32_t bucket_count(uint32_t capacity)
{
	uint32_t n = 1;

	while (n < capacity)
		n <<= 1;
	return n;
}

/* splitmix64's finaliser: inode numbers are dense, buckets want them spread. */
static uint32_t hash(const struct td_cgcache *c, uint64_t id)
{
	id ^= id >> 30;
	id *= 0xbf58476d1ce4e5b9ULL;
	id ^= id >> 27;
	id *= 0x94d049bb133111ebULL;
	id ^= id >> 31;
	return (uint32_t)id & c->mask;
}

static bool in_range(uint32_t capacity, size_t path_bytes)
{
	return capacity > 0 && capacity <= TD_CGCACHE_CAPACITY_MAX &&
	       path_bytes >= TD_CGCACHE_PATH_COST(1) && path_bytes <= TD_CGCACHE_PATH_BYTES_MAX;
}

size_t td_cgcache_bytes(uint32_t capacity, size_t path_bytes)
{
	if (!in_range(capacity, path_bytes))
		return 0;
	return sizeof(struct td_cgcache) + (size_t)capacity * sizeof(struct node) +
	       (size_t)bucket_count(capacity) * sizeof(uint32_t) + path_bytes;
}

void td_cgcache_clear(struct td_cgcache *c)
{
	for (uint32_t i = 0; i <= c->mask; i++)
		c->buckets[i] = NIL;
	for (uint32_t i = 0; i < c->capacity; i++)
		c->nodes[i] = (struct node){ .e.path = "", .kind = KIND_FREE, .prev = NIL,
					     .hnext = NIL, .off = NIL,
					     .next = i + 1 < c->capacity ? i + 1 : NIL };
	c->free = 0;
	c->head = c->tail = NIL;
	c->entries = c->negative_entries = 0;
	c->arena_used = c->arena_live = 0;
}

int td_cgcache_new(uint32_t capacity, size_t path_bytes, uint64_t retry_ns,
		   struct td_cgcache **ret)
{
	struct td_cgcache *c;

	if (!in_range(capacity, path_bytes))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->capacity = capacity;
	c->mask = bucket_count(capacity) - 1;
	c->retry_ns = retry_ns;
	c->nodes = calloc(capacity, sizeof(*c->nodes));
	c->buckets = calloc((size_t)c->mask + 1, sizeof(*c->buckets));
	c->arena_size = (uint32_t)path_bytes;
	c->arena = malloc(path_bytes);
	if (!c->nodes || !c->buckets || !c->arena) {
		td_cgcache_free(c);
		return -ENOMEM;
	}
	td_cgcache_clear(c);
	*ret = c;
	return 0;
}

void td_cgcache_free(struct td_cgcache *c)
{
	if (!c)
		return;
	free(c->nodes);
	free(c->buckets);
	free(c->arena);
	free(c);
}

static uint32_t find(const struct td_cgcache *c, uint64_t id)
{
	uint32_t i;

	for (i = c->buckets[hash(c, id)]; i != NIL; i = c->nodes[i].hnext)
		if (c->nodes[i].e.id == id)
			return i;
	return NIL;
}

static void lru_unlink(struct td_cgcache *c, uint32_t i)
{
	struct node *n = &c->nodes[i];

	if (n->prev != NIL)
		c->nodes[n->prev].next = n->next;
	else
		c->head = n->next;
	if (n->next != NIL)
		c->nodes[n->next].prev = n->prev;
	else
		c->tail = n->prev;
	n->prev = n->next = NIL;
}

static void lru_push_front(struct td_cgcache *c, uint32_t i)
{
	struct node *n = &c->nodes[i];

	n->prev = NIL;
	n->next = c->head;
	if (c->head != NIL)
		c->nodes[c->head].prev = i;
	c->head = i;
	if (c->tail == NIL)
		c->tail = i;
}

static void hash_unlink(struct td_cgcache *c, uint32_t i)
{
	uint32_t *p = &c->buckets[hash(c, c->nodes[i].e.id)];

	while (*p != i)
		p = &c->nodes[*p].hnext;
	*p = c->nodes[i].hnext;
	c->nodes[i].hnext = NIL;
}

static void set_kind(struct td_cgcache *c, struct node *n, enum kind k)
{
	if (n->kind == KIND_PATH)
		c->entries--;
	else if (n->kind == KIND_NEGATIVE)
		c->negative_entries--;
	if (k == KIND_PATH)
		c->entries++;
	else if (k == KIND_NEGATIVE)
		c->negative_entries++;
	n->kind = k;
}

/* The node's path block becomes a hole. */
static void drop_path(struct td_cgcache *c, struct node *n)
{
	if (n->off == NIL)
		return;
	c->arena_live -= ((const struct blk *)(c->arena + n->off))->size;
	n->off = NIL;
	n->e.path = "";
}

static void release(struct td_cgcache *c, uint32_t i)
{
	drop_path(c, &c->nodes[i]);
	hash_unlink(c, i);
	lru_unlink(c, i);
	set_kind(c, &c->nodes[i], KIND_FREE);
	c->nodes[i].next = c->free;
	c->free = i;
}

/* The node of @id, made most recently used; a new one (evicting the least
 * recently used if there is no free node) when @id has none. */
static struct node *acquire(struct td_cgcache *c, uint64_t id)
{
	uint32_t i = find(c, id), *b;

	if (i != NIL) {
		lru_unlink(c, i);
		lru_push_front(c, i);
		return &c->nodes[i];
	}
	if (c->free == NIL) {
		release(c, c->tail);
		c->evictions++;
	}
	i = c->free;
	c->free = c->nodes[i].next;
	c->nodes[i].e.id = id;
	b = &c->buckets[hash(c, id)];
	c->nodes[i].hnext = *b;
	*b = i;
	lru_push_front(c, i);
	return &c->nodes[i];
}

/* Slides every block its node still owns to the front of the arena. */
static void compact(struct td_cgcache *c)
{
	uint32_t to = 0;

	for (uint32_t at = 0; at < c->arena_used;) {
		struct blk h;
		struct node *n;

		memcpy(&h, c->arena + at, sizeof(h));
		n = &c->nodes[h.node];
		if (n->kind == KIND_PATH && n->off == at) {
			memmove(c->arena + to, c->arena + at, h.size);
			n->off = to;
			n->e.path = c->arena + to + sizeof(h);
			to += h.size;
		}
		at += h.size;
	}
	c->arena_used = to;
	c->compactions++;
}

/* Evicts least recently used entries other than @keep until @want arena
 * bytes are free besides what is held (or @keep is the only entry). */
static void evict_for(struct td_cgcache *c, uint32_t keep, uint32_t want)
{
	while (c->arena_size - c->arena_live < want && c->tail != NIL && c->tail != keep) {
		release(c, c->tail);
		c->evictions++;
	}
}

/*
 * Room at the tail for a block of @cost bytes, for node @keep (which holds
 * no path now). Holes are reclaimed by compaction; before one, entries are
 * evicted until an eighth of the arena stays free after this block, so the
 * next compaction is at least that many bytes of puts away.
 */
static void make_room(struct td_cgcache *c, uint32_t keep, uint32_t cost)
{
	uint32_t slack = c->arena_size / 8;

	evict_for(c, keep, cost);
	if (c->arena_size - c->arena_used >= cost)
		return;
	evict_for(c, keep, cost > c->arena_size - slack ? cost : cost + slack);
	compact(c);
}

static void store_path(struct td_cgcache *c, uint32_t i, const char *path, size_t len,
		       uint32_t cost)
{
	struct blk h = { .node = i, .size = cost };
	struct node *n = &c->nodes[i];

	make_room(c, i, cost);
	memcpy(c->arena + c->arena_used, &h, sizeof(h));
	memcpy(c->arena + c->arena_used + sizeof(h), path, len + 1);
	n->off = c->arena_used;
	n->e.path = c->arena + n->off + sizeof(h);
	c->arena_used += cost;
	c->arena_live += cost;
}

int td_cgcache_put(struct td_cgcache *c, uint64_t id, const char *path,
		   const struct td_cgcache_payload *payload)
{
	struct node *n;
	size_t len;
	uint32_t i;

	if (id == 0 || !path || path[0] != '/')
		return -EINVAL;
	len = strnlen(path, c->arena_size);
	if (len == c->arena_size || TD_CGCACHE_PATH_COST(len) > c->arena_size)
		return -ENAMETOOLONG;
	n = acquire(c, id);
	i = (uint32_t)(n - c->nodes);
	/* the same path again (every walk re-puts every cgroup): keep it */
	if (n->kind != KIND_PATH || strcmp(n->e.path, path)) {
		drop_path(c, n);
		store_path(c, i, path, len, (uint32_t)TD_CGCACHE_PATH_COST(len));
	}
	n->e.payload = payload ? *payload : (struct td_cgcache_payload){ 0 };
	n->stamp = c->generation;
	set_kind(c, n, KIND_PATH);
	return 0;
}

int td_cgcache_put_unknown(struct td_cgcache *c, uint64_t id, uint64_t now_ns)
{
	struct node *n;

	if (id == 0)
		return -EINVAL;
	n = acquire(c, id);
	drop_path(c, n);
	n->e.payload = (struct td_cgcache_payload){ 0 };
	/* saturate: a huge retry interval means "never retry" */
	n->stamp = now_ns > UINT64_MAX - c->retry_ns ? UINT64_MAX : now_ns + c->retry_ns;
	set_kind(c, n, KIND_NEGATIVE);
	return 0;
}

int td_cgcache_get(struct td_cgcache *c, uint64_t id, uint64_t now_ns,
		   const struct td_cgcache_entry **ret)
{
	uint32_t i = id ? find(c, id) : NIL;

	if (i == NIL) {
		c->misses++;
		return -ENOENT;
	}
	if (c->nodes[i].kind == KIND_NEGATIVE && now_ns >= c->nodes[i].stamp) {
		release(c, i);
		c->misses++;
		return -ENOENT;
	}
	lru_unlink(c, i);
	lru_push_front(c, i);
	if (c->nodes[i].kind == KIND_NEGATIVE) {
		c->negative_hits++;
		return -ENXIO;
	}
	c->hits++;
	if (ret)
		*ret = &c->nodes[i].e;
	return 0;
}

int td_cgcache_remove(struct td_cgcache *c, uint64_t id)
{
	uint32_t i = id ? find(c, id) : NIL;

	if (i == NIL)
		return -ENOENT;
	release(c, i);
	return 0;
}

void td_cgcache_begin_walk(struct td_cgcache *c)
{
	c->generation++;
	c->walking = true;
}

int td_cgcache_end_walk(struct td_cgcache *c)
{
	int dropped = 0;

	if (!c->walking)
		return -EINVAL;
	c->walking = false;
	for (uint32_t i = 0; i < c->capacity; i++)
		if (c->nodes[i].kind == KIND_PATH && c->nodes[i].stamp != c->generation) {
			release(c, i);
			dropped++;
		}
	c->walk_drops += dropped;
	return dropped;
}

void td_cgcache_get_stats(const struct td_cgcache *c, struct td_cgcache_stats *ret)
{
	*ret = (struct td_cgcache_stats){
		.capacity = c->capacity,
		.entries = c->entries,
		.negative_entries = c->negative_entries,
		.hits = c->hits,
		.negative_hits = c->negative_hits,
		.misses = c->misses,
		.evictions = c->evictions,
		.walk_drops = c->walk_drops,
		.generation = c->generation,
		.path_bytes = c->arena_size,
		.path_bytes_live = c->arena_live,
		.compactions = c->compactions,
	};
}
