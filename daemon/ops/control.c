// SPDX-License-Identifier: GPL-2.0-only
/*
 * control.c - the verbs of the control socket (lib/proto.h has the codec)
 * and the metrics snapshot: read-only views of the daemon's state, plus
 * reload, pause and resume, which only root may ask for. The address-level
 * verbs (top, why) show a peer that is not root only its own processes, as
 * /proc/PID/maps would. Replies are
 * jansson objects (lib/reply.h); every string from outside the daemon goes
 * through td_json_bytes() (the put_str() helper), so invalid UTF-8 in a
 * cgroup name never reaches a reply.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "move/demoter.h"
#include "move/kernel.h"
#include "pipeline.h"
#include "policy/groups.h"
#include "source/sources.h"
#include "hotness.h"
#include "ops/log.h"
#include "metrics.h"
#include "ops/control.h"
#include "move/promoter.h"
#include "proto.h"
#include "reply.h"
#include "units.h"


/*
 * JSON-building helpers: put_*() sets member @key of object @o and returns
 * 0, or -1 when out of memory (jansson drops a NULL value and fails the
 * set), so a reply builder ORs the results and checks once. put_str() is
 * for every string: it goes through td_json_bytes(). The *_object() and
 * *_list() helpers build containers (NULL when out of memory), attached
 * with json_object_set_new() or json_array_append_new(), which take the
 * reference even when they fail.
 */
static int put_u64(json_t *o, const char *key, uint64_t v)
{
	return json_object_set_new(o, key, td_json_u64(v));
}

static int put_i64(json_t *o, const char *key, int64_t v)
{
	return json_object_set_new(o, key, json_integer(v));
}

static int put_bool(json_t *o, const char *key, bool v)
{
	return json_object_set_new(o, key, json_boolean(v));
}

static int put_double(json_t *o, const char *key, double v)
{
	return json_object_set_new(o, key, td_json_double(v));
}

static int put_str(json_t *o, const char *key, const char *s)
{
	return json_object_set_new(o, key, td_json_bytes(s));
}

/* A container @v whose members were all set (@r is 0), else NULL, @v dropped. */
static json_t *built(json_t *v, int r)
{
	if (r) {
		json_decref(v);
		return NULL;
	}
	return v;
}

static json_t *node_list(uint64_t mask)
{
	json_t *a = json_array();
	int r = 0;

	for (int n = 0; a && n < TD_MAX_NODES; n++)
		if (td_node_in(mask, n))
			r |= json_array_append_new(a, json_integer(n));
	return built(a, r);
}

static json_t *source_object(const struct td_source_status *s)
{
	json_t *o = json_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= put_str(o, "name", s->name);
	r |= put_str(o, "hook", s->hook);
	r |= put_bool(o, "attached", s->attached);
	r |= put_bool(o, "enabled", s->enabled);
	return built(o, r);
}

static json_t *source_list(struct td_pipeline *p)
{
	json_t *a = json_array();
	int r = 0;

	for (int i = 0; a && i < TD_SOURCE__MAX; i++)
		r |= json_array_append_new(a, source_object(td_sources_status(p->sources, i)));
	return built(a, r);
}

/* The registry's status counters (lib/counters.h), under their names. */
static int status_counters(struct td_pipeline *p, json_t *j, struct td_counters *ret)
{
	struct td_counters *c = ret;
	int r = 0;

	p->ops.counters(p->ops.ud, c);
	for (unsigned i = 0; i < TD_CTR__MAX; i++) {
		const struct td_ctr_def *def = td_ctr_def(i);

		if (def->status)
			r |= put_u64(j, def->name, td_counters_sum(c, i));
	}
	return r;
}

/* The default group's threshold in force (automatic, or the floor), and
 * why it is what it is; the lowest of all groups is the hot_threshold
 * gauge of stats and the metrics. */
static int status_threshold(struct td_pipeline *p, const struct td_counters *c, json_t *j)
{
	const struct td_policy_group *pg = td_groups_policy(p->groups);
	int g = td_groups_find(p->groups, "/"), r = 0;
	char why[200] = "";

	r |= put_double(j, "hot_threshold", td_hotness_accesses(g >= 0 ? pg[g].threshold :
					    (uint32_t)c->v[TD_CTR_HOT_THRESHOLD][0]));
	r |= put_double(j, "hot_threshold_floor",
			td_hotness_accesses(td_threshold_of(p->cfg->hot_threshold)));
	if (g >= 0)
		td_threshold_describe(&pg[g].thr, why, sizeof(why));
	r |= put_str(j, "hot_threshold_reason", why);
	return r;
}

static int reply_status(struct td_pipeline *p, json_t *j)
{
	struct td_counters c;
	int r = 0;

	r |= put_u64(j, "uptime_s", (p->ops.now_ns(p->ops.ud) - p->start_ns) / 1000000000ULL);
	r |= put_bool(j, "paused", p->paused);
	r |= json_object_set_new(j, "fast_nodes", node_list(p->fast_mask));
	r |= json_object_set_new(j, "slow_nodes", node_list(p->slow_mask));
	r |= json_object_set_new(j, "sources", source_list(p));
	r |= status_counters(p, j, &c);
	r |= status_threshold(p, &c, j);
	r |= put_i64(j, "kernel_numa_balancing", td_kernel_numa_balancing());
	r |= put_str(j, "limitation", p->limitation);
	r |= put_str(j, "config", p->config_path ? p->config_path : "");
	r |= put_bool(j, "dry_run", p->dry_run);
	return r ? -ENOMEM : 0;
}

struct counter_ctx {
	json_t *counters;
	int r;
};

static void add_counter(const char *name, uint64_t v, void *ud)
{
	struct counter_ctx *x = ud;

	x->r |= put_u64(x->counters, name, v);
}

static int reply_stats(struct td_pipeline *p, json_t *j)
{
	struct counter_ctx x = { .counters = json_object() };
	struct td_counters c;

	if (!x.counters)
		return -ENOMEM;
	p->ops.counters(p->ops.ud, &c);
	td_counters_foreach(&c, add_counter, &x);
	if (json_object_set_new(j, "counters", x.counters) < 0 || x.r)
		return -ENOMEM;
	return 0;
}

static json_t *cgroup_object(const struct td_pipeline *p, const struct td_group *g,
			     const struct td_policy_group *pg)
{
	json_t *o = json_object();
	int r = 0;

	if (!o)
		return NULL;
	r |= put_str(o, "path", g->path);
	r |= put_str(o, "mode", td_mode_name(pg->mode));
	r |= put_bool(o, "default", g->is_default);
	r |= put_bool(o, "paused", pg->paused);
	r |= put_u64(o, "weight", pg->weight);
	r |= put_double(o, "hot_threshold", td_hotness_accesses(pg->hot_threshold));
	r |= put_double(o, "threshold", td_hotness_accesses(pg->threshold));
	r |= put_str(o, "threshold_why", td_threshold_why_name(pg->thr.why));
	r |= put_u64(o, "rate_limit_mbps", pg->rate.mbps);
	r |= put_u64(o, "max_fast_bytes", pg->fast_cap_bytes == TD_POLICY_NO_LIMIT ?
		     0 : pg->fast_cap_bytes);
	r |= put_u64(o, "pages_promoted", g->pages_promoted);
	r |= put_u64(o, "bytes_promoted", g->bytes_promoted);
	r |= put_u64(o, "kernel_pages_promoted", g->kernel_pages_promoted);
	r |= put_u64(o, "pages_failed", g->pages_failed);
	r |= put_u64(o, "fast_bytes", g->fast_bytes);
	r |= put_u64(o, "slow_bytes", g->slow_bytes);
	return built(o, r);
}

static int reply_cgroups(struct td_pipeline *p, json_t *j)
{
	const struct td_policy_group *pg = td_groups_policy(p->groups);
	json_t *a = json_array();
	int r = 0;

	for (size_t i = 0; a && i < td_groups_count(p->groups); i++)
		r |= json_array_append_new(a, cgroup_object(p, td_groups_get(p->groups, i), &pg[i]));
	r |= json_object_set_new(j, "cgroups", a);
	return r ? -ENOMEM : 0;
}

static bool pid_filter(const struct td_hotness_info *i, void *ud)
{
	return i->tgid == *(const uint32_t *)ud;
}

int td_control_pid_owner(void *ud, uint32_t pid, uid_t *ret)
{
	char path[64], *line = NULL;
	unsigned long uid[3];
	size_t cap = 0;
	int r = -EIO;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%" PRIu32 "/status", pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "Uid:", 4))
			continue;
		if (sscanf(line + 4, "%lu %lu %lu", &uid[0], &uid[1], &uid[2]) == 3) {
			/* ptrace wants the caller's uid to be all three */
			*ret = uid[0] == uid[1] && uid[1] == uid[2] ? (uid_t)uid[0] : 0;
			r = 0;
		}
		break;
	}
	free(line);
	fclose(f);
	return r;
}

/* Whether @peer may see the addresses of process @pid: root always, anyone
 * else only those of its own processes (pipeline.h's pid_owner). */
static bool may_see(struct td_pipeline *p, const struct td_peer *peer, uint32_t pid)
{
	uid_t owner;

	if (peer->uid == 0)
		return true;
	return p->ops.pid_owner && p->ops.pid_owner(p->ops.ud, pid, &owner) == 0 &&
	       owner == peer->uid;
}

/* top's filter for a peer that is not root: each pid's owner asked once
 * (a hash set of pids, linear probing, grown at half full). */
struct owned {
	struct td_pipeline *p;
	const struct td_peer *peer;
	struct owned_pid {
		uint32_t pid;
		bool used, mine;
	} *slots;
	size_t n, cap;		/* cap: 0 or a power of two */
	bool nomem;
};

static struct owned_pid *owned_slot(struct owned_pid *slots, size_t cap, uint32_t pid)
{
	size_t i = (pid * 2654435761u) & (cap - 1);

	while (slots[i].used && slots[i].pid != pid)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int owned_grow(struct owned *o)
{
	size_t cap = o->cap ? o->cap * 2 : 64;
	struct owned_pid *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < o->cap; i++)
		if (o->slots[i].used)
			*owned_slot(slots, cap, o->slots[i].pid) = o->slots[i];
	free(o->slots);
	o->slots = slots;
	o->cap = cap;
	return 0;
}

static bool owned_filter(const struct td_hotness_info *i, void *ud)
{
	struct owned *o = ud;
	struct owned_pid *e;

	if (o->nomem || (o->n * 2 >= o->cap && owned_grow(o) < 0)) {
		o->nomem = true;	/* nothing shown: the reply says out of memory */
		return false;
	}
	e = owned_slot(o->slots, o->cap, i->tgid);
	if (!e->used) {
		*e = (struct owned_pid){ .pid = i->tgid, .used = true,
					 .mine = may_see(o->p, o->peer, i->tgid) };
		o->n++;
	}
	return e->mine;
}

static json_t *page_object(struct td_pipeline *p, const struct td_hotness_info *v, uint64_t now)
{
	json_t *o = json_object();
	char addr[32];
	int r = 0;

	if (!o)
		return NULL;
	snprintf(addr, sizeof(addr), "0x%" PRIx64, v->addr);
	r |= put_u64(o, "pid", v->tgid);
	r |= put_str(o, "addr", addr);
	r |= put_double(o, "hotness", td_hotness_accesses(v->hotness));
	r |= put_u64(o, "bytes", td_folio_bytes(v->order));
	r |= put_i64(o, "node", v->node);
	r |= put_str(o, "cgroup", td_groups_path_of(p->groups, v->memcg_id, now));
	return built(o, r);
}

/* 0, -EACCES for another user's --pid, -ENOMEM. */
static int reply_top(struct td_pipeline *p, const struct td_request *rq,
		     const struct td_peer *peer, json_t *j)
{
	struct owned own = { .p = p, .peer = peer };
	uint64_t now = p->ops.now_ns(p->ops.ud);
	td_hotness_filter_t filter = NULL;
	void *ud = (void *)&rq->pid;
	struct td_hotness_info *v;
	json_t *a;
	int n, r = 0;

	if (rq->has_pid && !may_see(p, peer, rq->pid))
		return -EACCES;
	if (rq->has_pid) {
		filter = pid_filter;
	} else if (peer->uid != 0) {
		filter = owned_filter;
		ud = &own;
	}
	v = calloc(rq->top_n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	n = td_hotness_hottest(p->hot, now, 0, filter, ud, rq->top_n, v);
	free(own.slots);
	a = own.nomem ? NULL : json_array();
	for (int i = 0; a && i < n; i++)
		r |= json_array_append_new(a, page_object(p, &v[i], now));
	r |= json_object_set_new(j, "pages", a);
	free(v);
	return r ? -ENOMEM : 0;
}

static const char *tier_of(const struct td_pipeline *p, int node)
{
	if (td_node_in(p->fast_mask, node))
		return "fast";
	return td_node_in(p->slow_mask, node) ? "slow" : "unknown";
}

/* The sentences of the decisions that need no numbers. */
static const char *const fixed_reasons[TD_REASON__MAX] = {
	[TD_REASON_PROMOTE] = "hot on a slow node: promoted this tick, within its share",
	[TD_REASON_ON_FAST] = "the page is on a fast node already",
	[TD_REASON_NODE_UNKNOWN] = "its node is not known yet (a sampled access)",
	[TD_REASON_NO_GROUP] = "its cgroup is not known to tieringd yet",
	[TD_REASON_PAUSED] = "promotion is paused",
	[TD_REASON_GROUP_PAUSED] = "promotion is paused for its cgroup",
	[TD_REASON_CAP] = "its cgroup is at its MaxFastMemory",
	[TD_REASON_GROUP_RATE] = "its cgroup's PromoteRateLimitMBps is spent for now",
	[TD_REASON_RATE] = "the daemon's RateLimitMBps is spent for now",
	[TD_REASON_ROOM] = "the fast nodes have no room above their watermarks; waiting for demotion",
	[TD_REASON_NOT_ALLOWED] = "its process's cpuset or its memory area's NUMA policy allows no "
				  "fast node (OverridePlacement=no)",
	[TD_REASON_SHARED] = "move_pages(2) refused it: it is mapped by more than one process "
			     "(MPOL_MF_MOVE); tried again 5 minutes after the refusal",
};

/* The sentence of a decision (lib/decide.h has the reasons). */
static void reason_text(const struct td_decision *dc, const struct td_hotness_info *i,
			const struct td_policy_group *pg, uint64_t now, char *buf, size_t len)
{
	switch (dc->reason) {
	case TD_REASON_PROMOTED:
		snprintf(buf, len, "it was hot on a slow node; moved %.1f s ago",
			 (double)(now - i->last_move_ns) / 1e9);
		break;
	case TD_REASON_NOT_SLOW:
		snprintf(buf, len, "node %d is neither a fast nor a slow node of tieringd", i->node);
		break;
	case TD_REASON_MODE:
		snprintf(buf, len, "its cgroup's policy is Mode=%s", td_mode_name(pg->mode));
		break;
	case TD_REASON_THRESHOLD:
		snprintf(buf, len, "hotness %.2f is below the cgroup's threshold %.2f (%s)",
			 td_hotness_accesses(i->hotness), td_hotness_accesses(dc->threshold),
			 td_threshold_why_name(pg->thr.why));
		break;
	case TD_REASON_PINGPONG:
		snprintf(buf, len, "its cgroup had pages demoted lately: it needs hotness %.2f",
			 2 * td_hotness_accesses(dc->threshold));
		break;
	case TD_REASON_BACKOFF:
		snprintf(buf, len, "%u promotion attempt(s) failed; backing off for %.1f s",
			 i->move_retries, (double)(dc->backoff_until_ns - now) / 1e9);
		break;
	default:
		snprintf(buf, len, "%s", (unsigned)dc->reason < TD_REASON__MAX &&
			 fixed_reasons[dc->reason] ? fixed_reasons[dc->reason] : "unknown");
		break;
	}
}

/* The accessing node (the entry's vote) and the target the promoter gives
 * the page (td_promoter_target). */
static int why_target(struct td_pipeline *p, const struct td_hotness_info *i, json_t *j)
{
	enum td_target_kind kind;
	int dst = td_promoter_target(p->promoter, i, &kind), r = 0;

	r |= put_i64(j, "cpu_node", i->cpu_node);
	r |= put_u64(j, "cpu_node_votes", i->cpu_votes);
	r |= put_i64(j, "target_node", dst);
	r |= put_str(j, "target", td_target_kind_name(kind));
	return r;
}

/* The promoter's own decision (td_promoter_explain), as it would act on it. */
static int why_tracked(struct td_pipeline *p, const struct td_hotness_info *i, uint64_t now,
		       json_t *j)
{
	const struct td_policy_group *pg = td_groups_policy(p->groups);
	struct td_decision dc;
	char why[200];
	int g, r = 0;

	td_promoter_explain(p->promoter, i, pg, td_groups_count(p->groups), &dc, &g);
	reason_text(&dc, i, g < 0 ? NULL : &pg[g], now, why, sizeof(why));
	r |= put_bool(j, "tracked", true);
	r |= put_double(j, "hotness", td_hotness_accesses(i->hotness));
	if (g >= 0) {
		char tw[200];

		td_threshold_describe(&pg[g].thr, tw, sizeof(tw));
		r |= put_double(j, "threshold", td_hotness_accesses(pg[g].threshold));
		r |= put_double(j, "threshold_floor", td_hotness_accesses(pg[g].hot_threshold));
		r |= put_str(j, "threshold_reason", tw);
	}
	r |= put_u64(j, "bytes", td_folio_bytes(i->order));
	r |= put_i64(j, "node", i->node);
	r |= put_str(j, "tier", tier_of(p, i->node));
	r |= why_target(p, i, j);
	r |= put_str(j, "cgroup", td_groups_path_of(p->groups, i->memcg_id, now));
	if (g >= 0) {
		r |= put_str(j, "policy", td_groups_get(p->groups, g)->path);
		r |= put_str(j, "mode", td_mode_name(pg[g].mode));
	}
	r |= put_str(j, "decision", td_reason_decision(dc.reason));
	r |= put_str(j, "reason_code", td_reason_name(dc.reason));
	r |= put_str(j, "reason", why);
	return r;
}

static int reply_why(struct td_pipeline *p, const struct td_request *rq, json_t *j)
{
	uint64_t now = p->ops.now_ns(p->ops.ud), addr = rq->addr & ~(TD_PAGE_SIZE - 1);
	struct td_hotness_info i;
	char a[32];
	int r = 0;

	snprintf(a, sizeof(a), "0x%" PRIx64, addr);
	r |= put_u64(j, "pid", rq->pid);
	r |= put_str(j, "addr", a);
	if (td_hotness_get(p->hot, rq->pid, addr, now, &i) < 0) {
		r |= put_bool(j, "tracked", false);
		r |= put_str(j, "decision", "none");
		r |= put_str(j, "reason", "no access to this page was seen");
	} else {
		r |= why_tracked(p, &i, now, j);
	}
	return r ? -ENOMEM : 0;
}

/* pause/resume: everything, or one policy group by its path. 0, -ENOENT
 * for an unknown group, -ENOMEM if the reply could not be built. */
static int set_paused(struct td_pipeline *p, const struct td_request *rq, bool paused, json_t *j)
{
	int g, r = 0;

	if (!rq->has_cgroup) {
		p->paused = paused;
		td_info("%s by tieringctl", paused ? "paused" : "resumed");
		r |= put_bool(j, "paused", paused);
		r |= json_object_set_new(j, "cgroup", json_null());
		return r ? -ENOMEM : 0;
	}
	g = td_groups_find(p->groups, rq->cgroup);
	if (g < 0)
		return -ENOENT;
	td_groups_policy(p->groups)[g].paused = paused;
	td_info("cgroup %s %s by tieringctl", rq->cgroup, paused ? "paused" : "resumed");
	r |= put_bool(j, "paused", paused);
	r |= put_str(j, "cgroup", rq->cgroup);
	return r ? -ENOMEM : 0;
}

/*
 * The verbs, one handler each: the reply's members go into j; the result is
 * NULL, or the error message of the reply (err may hold it). Who may ask for
 * which verb is lib/proto's td_proto_verb_mutating(): those need root; top
 * and why look at the peer's uid themselves (may_see()).
 */
typedef const char *(*verb_fn)(struct td_pipeline *p, const struct td_request *rq,
			       const struct td_peer *peer, json_t *j, char *err, size_t errlen);

#define OUT_OF_MEMORY "out of memory"

static const char *denied_pid(uint32_t pid, const struct td_peer *peer, char *err, size_t errlen)
{
	snprintf(err, errlen, "permission denied: process %" PRIu32 " is not one of uid %u's "
		 "(only root sees other users' addresses)", pid, (unsigned)peer->uid);
	return err;
}

static const char *v_status(struct td_pipeline *p, const struct td_request *rq,
			    const struct td_peer *peer, json_t *j, char *err, size_t errlen)
{
	return reply_status(p, j) ? OUT_OF_MEMORY : NULL;
}

static const char *v_stats(struct td_pipeline *p, const struct td_request *rq,
			   const struct td_peer *peer, json_t *j, char *err, size_t errlen)
{
	return reply_stats(p, j) ? OUT_OF_MEMORY : NULL;
}

static const char *v_cgroups(struct td_pipeline *p, const struct td_request *rq,
			     const struct td_peer *peer, json_t *j, char *err, size_t errlen)
{
	return reply_cgroups(p, j) ? OUT_OF_MEMORY : NULL;
}

static const char *v_top(struct td_pipeline *p, const struct td_request *rq,
			 const struct td_peer *peer, json_t *j, char *err, size_t errlen)
{
	int r = reply_top(p, rq, peer, j);

	if (r == -EACCES)
		return denied_pid(rq->pid, peer, err, errlen);
	return r ? OUT_OF_MEMORY : NULL;
}

static const char *v_why(struct td_pipeline *p, const struct td_request *rq,
			 const struct td_peer *peer, json_t *j, char *err, size_t errlen)
{
	if (!may_see(p, peer, rq->pid))
		return denied_pid(rq->pid, peer, err, errlen);
	return reply_why(p, rq, j) ? OUT_OF_MEMORY : NULL;
}

static const char *v_reload(struct td_pipeline *p, const struct td_request *rq,
			    const struct td_peer *peer, json_t *j, char *err, size_t errlen)
{
	int r = p->ops.reload(p->ops.ud, err, errlen), e = 0;
	json_t *restart;

	if (r == -ENOMEM)
		return OUT_OF_MEMORY;
	if (r < 0)
		return err;
	/* the start-only keys the file changed: they wait for a restart */
	restart = json_array();
	for (char *save = NULL, *k = r ? strtok_r(err, " ", &save) : NULL; restart && k;
	     k = strtok_r(NULL, " ", &save))
		e |= json_array_append_new(restart, td_json_bytes(k));
	e |= put_bool(j, "reloaded", true);
	e |= json_object_set_new(j, "restart_needed", restart);
	return e ? OUT_OF_MEMORY : NULL;
}

static const char *v_pause(struct td_pipeline *p, const struct td_request *rq,
			   const struct td_peer *peer, json_t *j, char *err, size_t errlen)
{
	int r = set_paused(p, rq, rq->verb == TD_VERB_PAUSE, j);

	if (r == -ENOMEM)
		return OUT_OF_MEMORY;
	if (r == 0)
		return NULL;
	snprintf(err, errlen, "no [Cgroup \"%s\"] policy in the configuration", rq->cgroup);
	return err;
}

static const verb_fn verbs[_TD_VERB_MAX] = {
	[TD_VERB_STATUS] = v_status,
	[TD_VERB_STATS] = v_stats,
	[TD_VERB_CGROUPS] = v_cgroups,
	[TD_VERB_TOP] = v_top,
	[TD_VERB_WHY] = v_why,
	[TD_VERB_RELOAD] = v_reload,
	[TD_VERB_PAUSE] = v_pause,
	[TD_VERB_RESUME] = v_pause,
};

char *td_control_handle(void *ctx, const char *line, size_t len, const struct td_peer *peer,
			size_t *ret_len)
{
	struct td_pipeline *p = ctx;
	struct td_request rq;
	char err[2048], *text;
	const char *e;
	json_t *j;

	if (td_proto_parse_request(line, len, &rq, err, sizeof(err)) < 0)
		return td_reply_error(err, ret_len);
	if (td_proto_verb_mutating(rq.verb) && peer->uid != 0) {
		snprintf(err, sizeof(err), "permission denied: '%s' needs root",
			 td_proto_verb_name(rq.verb));
		return td_reply_error(err, ret_len);
	}
	if ((unsigned)rq.verb >= _TD_VERB_MAX || !verbs[rq.verb])
		return td_reply_error("unknown verb", ret_len);
	j = td_reply_new(/* ok= */ true);
	if (!j)
		return td_reply_error(OUT_OF_MEMORY, ret_len);
	e = verbs[rq.verb](p, &rq, peer, j, err, sizeof(err));
	if (e) {
		json_decref(j);
		return td_reply_error(e, ret_len);
	}
	text = td_reply_dump(j, ret_len);
	json_decref(j);
	return text;
}

int td_control_metrics(const struct td_pipeline *p, char **ret, size_t *ret_len)
{
	size_t ng = td_groups_count(p->groups);
	const char *reasons[TD_ERR__MAX];
	struct td_metrics_cgroup *cg = calloc(ng ? ng : 1, sizeof(*cg));
	struct td_metrics_buf buf = { 0 };
	struct td_counters c;
	int r;

	if (!cg)
		return -ENOMEM;
	for (int i = 0; i < TD_ERR__MAX; i++)
		reasons[i] = td_errno_slot_name(i);
	for (size_t i = 0; i < ng; i++) {
		const struct td_group *g = td_groups_get(p->groups, i);

		cg[i] = (struct td_metrics_cgroup){
			.path = g->path, .mode = td_mode_name(td_groups_policy(p->groups)[i].mode),
			.pages_promoted = g->pages_promoted, .fast_bytes = g->fast_bytes,
			.slow_bytes = g->slow_bytes, .failed_by_reason = g->failed_by_reason,
		};
	}
	p->ops.counters(p->ops.ud, &c);
	struct td_metrics_snapshot s = {
		.uptime_s = (double)(p->ops.now_ns(p->ops.ud) - p->start_ns) / 1e9, .counters = &c,
		.reason_names = reasons, .n_reasons = TD_ERR__MAX,
		.cgroups = cg, .n_cgroups = ng,
	};
	r = td_metrics_format(&s, &buf);
	free(cg);
	if (r) {
		td_metrics_buf_fini(&buf);
		return r;
	}
	*ret = buf.data;
	*ret_len = buf.len;
	return 0;
}

void td_control_status_line(const struct td_pipeline *p, char *buf, size_t len)
{
	struct td_counters c;

	p->ops.counters(p->ops.ud, &c);
	snprintf(buf, len, "%s%" PRIu64 " pages promoted, %" PRIu64 " failed, %" PRIu64
		 " hot pages tracked, %" PRIu64 " events", p->paused ? "paused; " : "",
		 c.v[TD_CTR_PAGES_PROMOTED][0], c.v[TD_CTR_PAGES_FAILED][0],
		 c.v[TD_CTR_HOT_ENTRIES][0], c.v[TD_CTR_EVENTS_RECEIVED][0]);
}
