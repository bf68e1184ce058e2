// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgcache.c - see cgcache.h. Nodes live in one array; a power-of-two bucket
 * array of chain heads finds them by id, and one doubly linked list threads
 * them from most to least recently used. Links are 32-bit indexes, not
 * pointers, to keep the per-entry cost down; free nodes are chained through
 * their next link.
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
	uint8_t kind;
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
	uint64_t entries, negative_entries;
	uint64_t hits, negative_hits, misses, evictions, walk_drops;
};

_Static_assert(sizeof(struct node) + 2 * sizeof(uint32_t) <= TD_CGCACHE_ENTRY_BYTES,
	       "cgcache node outgrew TD_CGCACHE_ENTRY_BYTES");
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

size_t td_cgcache_bytes(uint32_t capacity)
{
	if (capacity == 0 || capacity > TD_CGCACHE_CAPACITY_MAX)
		return 0;
	return sizeof(struct td_cgcache) + (size_t)capacity * sizeof(struct node) +
	       (size_t)bucket_count(capacity) * sizeof(uint32_t);
}

void td_cgcache_clear(struct td_cgcache *c)
{
	for (uint32_t i = 0; i <= c->mask; i++)
		c->buckets[i] = NIL;
	for (uint32_t i = 0; i < c->capacity; i++)
		c->nodes[i] = (struct node){ .kind = KIND_FREE, .prev = NIL, .hnext = NIL,
					     .next = i + 1 < c->capacity ? i + 1 : NIL };
	c->free = 0;
	c->head = c->tail = NIL;
	c->entries = c->negative_entries = 0;
}

int td_cgcache_new(uint32_t capacity, uint64_t retry_ns, struct td_cgcache **ret)
{
	struct td_cgcache *c;

	if (capacity == 0 || capacity > TD_CGCACHE_CAPACITY_MAX)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->capacity = capacity;
	c->mask = bucket_count(capacity) - 1;
	c->retry_ns = retry_ns;
	c->nodes = calloc(capacity, sizeof(*c->nodes));
	c->buckets = calloc((size_t)c->mask + 1, sizeof(*c->buckets));
	if (!c->nodes || !c->buckets) {
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

static void release(struct td_cgcache *c, uint32_t i)
{
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

int td_cgcache_put(struct td_cgcache *c, uint64_t id, const char *path,
		   const struct td_cgcache_payload *payload)
{
	struct node *n;
	size_t len;

	if (id == 0 || !path || path[0] != '/')
		return -EINVAL;
	len = strnlen(path, TD_CGCACHE_PATH_MAX);
	if (len == TD_CGCACHE_PATH_MAX)
		return -ENAMETOOLONG;
	n = acquire(c, id);
	memcpy(n->e.path, path, len + 1);
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
	n->e.path[0] = '\0';
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
	};
}
