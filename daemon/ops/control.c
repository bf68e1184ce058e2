// SPDX-License-Identifier: GPL-2.0-only
/*
 * control.c - the verbs of the control socket (lib/proto.h has the codec)
 * and the metrics snapshot: read-only views of the daemon's state, plus
 * reload, pause and resume, which only root may ask for. Replies are
 * jansson objects (lib/reply.h); every string from outside the daemon goes
 * through td_json_bytes() (the put_str() helper), so invalid UTF-8 in a
 * cgroup name never reaches a reply.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon-internal.h"
#include "move/demoter.h"
#include "policy/groups.h"
#include "hotness.h"
#include "ops/log.h"
#include "metrics.h"
#include "move/promoter.h"
#include "proto.h"
#include "reply.h"

#define PAGE_SIZE_B 4096

static double hotness_accesses(uint32_t h)
{
	return (double)h / TD_HOTNESS_ONE;
}

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

	for (int n = 0; a && n < 64; n++)
		if (mask & (1ULL << n))
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

static json_t *source_list(struct td_daemon *d)
{
	json_t *a = json_array();
	int r = 0;

	for (int i = 0; a && i < TD_SOURCE__MAX; i++)
		r |= json_array_append_new(a, source_object(td_sources_status(d->sources, i)));
	return built(a, r);
}

static int reply_status(struct td_daemon *d, json_t *j)
{
	const struct td_promoter_counters *c = td_promoter_counters(d->promoter);
	uint64_t st[TD_STAT__MAX] = { 0 };
	struct td_hotness_stats hs;
	int r = 0;

	td_sources_stats(d->sources, st);
	td_hotness_get_stats(d->hot, &hs);
	r |= put_u64(j, "uptime_s", (td_now_ns() - d->start_ns) / 1000000000ULL);
	r |= put_bool(j, "paused", d->paused);
	r |= json_object_set_new(j, "fast_nodes", node_list(d->fast_mask));
	r |= json_object_set_new(j, "slow_nodes", node_list(d->slow_mask));
	r |= json_object_set_new(j, "sources", source_list(d));
	r |= put_u64(j, "events_received", d->events_received);
	r |= put_u64(j, "events_dropped", st[TD_STAT_DROPPED]);
	r |= put_u64(j, "hot_entries", hs.live);
	r |= put_u64(j, "pages_promoted", c->pages_promoted);
	r |= put_u64(j, "pages_failed", c->pages_failed);
	r |= put_u64(j, "pages_demoted",
		     d->demoter ? td_demoter_counters(d->demoter)->pages_demoted : 0);
	r |= put_i64(j, "kernel_numa_balancing", td_daemon_kernel_numa_balancing());
	r |= put_str(j, "limitation", d->limitation);
	r |= put_u64(j, "reloads", d->reloads);
	r |= put_u64(j, "reload_failures", d->reload_failures);
	r |= put_str(j, "config", d->opt.config_path ? d->opt.config_path : "");
	r |= put_bool(j, "dry_run", d->opt.dry_run);
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

static int reply_stats(struct td_daemon *d, json_t *j)
{
	struct counter_ctx x = { .counters = json_object() };

	if (!x.counters)
		return -ENOMEM;
	td_daemon_foreach_counter(d, add_counter, &x);
	if (json_object_set_new(j, "counters", x.counters) < 0 || x.r)
		return -ENOMEM;
	return 0;
}

static uint32_t accesses_of(const struct td_daemon *d, const struct td_group *g)
{
	return g->pol && g->pol->hot_threshold ? g->pol->hot_threshold : d->cfg->hot_threshold;
}

static json_t *cgroup_object(const struct td_daemon *d, const struct td_group *g,
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
	r |= put_u64(o, "hot_threshold", accesses_of(d, g));
	r |= put_u64(o, "rate_limit_mbps", pg->rate.mbps);
	r |= put_u64(o, "max_fast_bytes", pg->fast_cap_pages == TD_POLICY_NO_LIMIT ?
		     0 : pg->fast_cap_pages * PAGE_SIZE_B);
	r |= put_u64(o, "pages_promoted", g->pages_promoted);
	r |= put_u64(o, "pages_failed", g->pages_failed);
	r |= put_u64(o, "fast_bytes", g->fast_bytes);
	r |= put_u64(o, "slow_bytes", g->slow_bytes);
	return built(o, r);
}

static int reply_cgroups(struct td_daemon *d, json_t *j)
{
	const struct td_policy_group *pg = td_groups_policy(d->groups);
	json_t *a = json_array();
	int r = 0;

	for (size_t i = 0; a && i < td_groups_count(d->groups); i++)
		r |= json_array_append_new(a, cgroup_object(d, td_groups_get(d->groups, i), &pg[i]));
	r |= json_object_set_new(j, "cgroups", a);
	return r ? -ENOMEM : 0;
}

static bool pid_filter(const struct td_hotness_info *i, void *ud)
{
	return i->tgid == *(const uint32_t *)ud;
}

static json_t *page_object(struct td_daemon *d, const struct td_hotness_info *v, uint64_t now)
{
	json_t *o = json_object();
	char addr[32];
	int r = 0;

	if (!o)
		return NULL;
	snprintf(addr, sizeof(addr), "0x%" PRIx64, v->addr);
	r |= put_u64(o, "pid", v->tgid);
	r |= put_str(o, "addr", addr);
	r |= put_double(o, "hotness", hotness_accesses(v->hotness));
	r |= put_i64(o, "node", v->node);
	r |= put_str(o, "cgroup", td_groups_path_of(d->groups, v->memcg_id, now));
	return built(o, r);
}

static int reply_top(struct td_daemon *d, const struct td_request *rq, json_t *j)
{
	struct td_hotness_info *v = calloc(rq->top_n, sizeof(*v));
	uint64_t now = td_now_ns();
	json_t *a;
	int n, r = 0;

	if (!v)
		return -ENOMEM;
	n = td_hotness_hottest(d->hot, now, 0, rq->has_pid ? pid_filter : NULL,
			       (void *)&rq->pid, rq->top_n, v);
	a = json_array();
	for (int i = 0; a && i < n; i++)
		r |= json_array_append_new(a, page_object(d, &v[i], now));
	r |= json_object_set_new(j, "pages", a);
	free(v);
	return r ? -ENOMEM : 0;
}

static const char *tier_of(const struct td_daemon *d, int node)
{
	if (node < 0 || node >= 64)
		return "unknown";
	if (d->fast_mask & (1ULL << node))
		return "fast";
	return d->slow_mask & (1ULL << node) ? "slow" : "unknown";
}

/* The last decision about a page and why, from what the table knows and
 * the policy in force now. */
static void explain(const struct td_daemon *d, const struct td_hotness_info *i,
		    const struct td_policy_group *pg, char *dec, size_t dl, char *why, size_t wl)
{
	bool on_fast = i->node >= 0 && i->node < 64 && (d->fast_mask & (1ULL << i->node));

	if (i->last_move_dir == TD_HOTNESS_DIR_PROMOTE && i->move_retries == 0 && on_fast) {
		snprintf(dec, dl, "promoted");
		snprintf(why, wl, "it was hot on a slow node; moved %.1f s ago",
			 (double)(td_now_ns() - i->last_move_ns) / 1e9);
	} else if (on_fast) {
		snprintf(dec, dl, "none");
		snprintf(why, wl, "the page is on a fast node already");
	} else if (!pg) {
		snprintf(dec, dl, "left alone");
		snprintf(why, wl, "its cgroup is not known to tieringd yet");
	} else if (pg->mode != TD_MODE_PROMOTE) {
		snprintf(dec, dl, "left alone");
		snprintf(why, wl, "its cgroup's policy is Mode=%s", td_mode_name(pg->mode));
	} else if (d->paused || pg->paused) {
		snprintf(dec, dl, "left alone");
		snprintf(why, wl, "promotion is paused%s", d->paused ? "" : " for its cgroup");
	} else if (i->move_retries) {
		snprintf(dec, dl, "retry later");
		snprintf(why, wl, "%u promotion attempt(s) failed; backing off", i->move_retries);
	} else if (i->hotness < pg->hot_threshold) {
		snprintf(dec, dl, "wait");
		snprintf(why, wl, "hotness %.2f is below the cgroup's threshold %.2f",
			 hotness_accesses(i->hotness), hotness_accesses(pg->hot_threshold));
	} else if (pg->fast_cap_pages != TD_POLICY_NO_LIMIT && pg->fast_pages >= pg->fast_cap_pages) {
		snprintf(dec, dl, "held");
		snprintf(why, wl, "its cgroup is at its MaxFastMemory");
	} else {
		snprintf(dec, dl, "promote");
		snprintf(why, wl, "hot enough: promoted when the rate limit and the fast node's room allow");
	}
}

static int reply_why(struct td_daemon *d, const struct td_request *rq, json_t *j)
{
	uint64_t now = td_now_ns(), addr = rq->addr & ~(uint64_t)(PAGE_SIZE_B - 1);
	struct td_hotness_info i;
	char a[32], dec[64] = "none", why[160] = "no access to this page was seen";
	int g, r = 0;

	snprintf(a, sizeof(a), "0x%" PRIx64, addr);
	r |= put_u64(j, "pid", rq->pid);
	r |= put_str(j, "addr", a);
	if (td_hotness_get(d->hot, rq->pid, addr, now, &i) < 0) {
		r |= put_bool(j, "tracked", false);
		r |= put_str(j, "decision", dec);
		r |= put_str(j, "reason", why);
		return r ? -ENOMEM : 0;
	}
	g = td_groups_of(d->groups, i.memcg_id, now);
	explain(d, &i, g < 0 ? NULL : &td_groups_policy(d->groups)[g], dec, sizeof(dec), why,
		sizeof(why));
	r |= put_bool(j, "tracked", true);
	r |= put_double(j, "hotness", hotness_accesses(i.hotness));
	if (g >= 0)
		r |= put_double(j, "threshold",
				hotness_accesses(td_groups_policy(d->groups)[g].hot_threshold));
	r |= put_i64(j, "node", i.node);
	r |= put_str(j, "tier", tier_of(d, i.node));
	r |= put_str(j, "cgroup", td_groups_path_of(d->groups, i.memcg_id, now));
	if (g >= 0) {
		r |= put_str(j, "policy", td_groups_get(d->groups, g)->path);
		r |= put_str(j, "mode", td_mode_name(td_groups_policy(d->groups)[g].mode));
	}
	r |= put_str(j, "decision", dec);
	r |= put_str(j, "reason", why);
	return r ? -ENOMEM : 0;
}

/* pause/resume: everything, or one policy group by its path. 0, -ENOENT
 * for an unknown group, -ENOMEM if the reply could not be built. */
static int set_paused(struct td_daemon *d, const struct td_request *rq, bool paused, json_t *j)
{
	int g, r = 0;

	if (!rq->has_cgroup) {
		d->paused = paused;
		td_info("%s by tieringctl", paused ? "paused" : "resumed");
		r |= put_bool(j, "paused", paused);
		r |= json_object_set_new(j, "cgroup", json_null());
		return r ? -ENOMEM : 0;
	}
	g = td_groups_find(d->groups, rq->cgroup);
	if (g < 0)
		return -ENOENT;
	td_groups_policy(d->groups)[g].paused = paused;
	td_info("cgroup %s %s by tieringctl", rq->cgroup, paused ? "paused" : "resumed");
	r |= put_bool(j, "paused", paused);
	r |= put_str(j, "cgroup", rq->cgroup);
	return r ? -ENOMEM : 0;
}

/* The mutating verbs; an error message or NULL. */
static const char *run_mutating(struct td_daemon *d, const struct td_request *rq,
				json_t *j, char *err, size_t errlen)
{
	int r;

	switch (rq->verb) {
	case TD_VERB_RELOAD:
		r = td_daemon_reload(d, err, errlen);
		if (r == -ENOMEM)
			return "out of memory";
		if (r)
			return err;
		return put_bool(j, "reloaded", true) ? "out of memory" : NULL;
	case TD_VERB_PAUSE:
	case TD_VERB_RESUME:
		r = set_paused(d, rq, rq->verb == TD_VERB_PAUSE, j);
		if (r == -ENOMEM)
			return "out of memory";
		if (r == 0)
			return NULL;
		snprintf(err, errlen, "no [Cgroup \"%s\"] policy in the configuration", rq->cgroup);
		return err;
	default:
		return "not a mutating verb";
	}
}

char *td_control_handle(void *ctx, const char *line, size_t len, const struct td_peer *peer,
			size_t *ret_len)
{
	struct td_daemon *d = ctx;
	struct td_request rq;
	char err[2048], *text;
	const char *e = NULL;
	json_t *j;
	int r = 0;

	if (td_proto_parse_request(line, len, &rq, err, sizeof(err)) < 0)
		return td_reply_error(err, ret_len);
	if (td_proto_verb_mutating(rq.verb) && peer->uid != 0) {
		snprintf(err, sizeof(err), "permission denied: '%s' needs root",
			 td_proto_verb_name(rq.verb));
		return td_reply_error(err, ret_len);
	}
	j = td_reply_new(/* ok= */ true);
	if (!j)
		return td_reply_error("out of memory", ret_len);
	switch (rq.verb) {
	case TD_VERB_STATUS:
		r = reply_status(d, j);
		break;
	case TD_VERB_STATS:
		r = reply_stats(d, j);
		break;
	case TD_VERB_CGROUPS:
		r = reply_cgroups(d, j);
		break;
	case TD_VERB_TOP:
		r = reply_top(d, &rq, j);
		break;
	case TD_VERB_WHY:
		r = reply_why(d, &rq, j);
		break;
	default:
		e = run_mutating(d, &rq, j, err, sizeof(err));
		break;
	}
	if (r < 0)
		e = "out of memory";
	if (e) {
		json_decref(j);
		return td_reply_error(e, ret_len);
	}
	text = td_reply_dump(j, ret_len);
	json_decref(j);
	return text;
}

int td_daemon_metrics(struct td_daemon *d, char **ret, size_t *ret_len)
{
	static const char *const sources[] = { "hint_fault", "sample" };
	const struct td_promoter_counters *c = td_promoter_counters(d->promoter);
	size_t ng = td_groups_count(d->groups);
	const char *reasons[TD_ERR__MAX];
	struct td_metrics_cgroup *cg = calloc(ng ? ng : 1, sizeof(*cg));
	uint64_t st[TD_STAT__MAX] = { 0 }, by_source[2];
	struct td_metrics_buf buf = { 0 };
	struct td_hotness_stats hs;
	int r;

	if (!cg)
		return -ENOMEM;
	for (int i = 0; i < TD_ERR__MAX; i++)
		reasons[i] = td_errno_slot_name(i);
	for (size_t i = 0; i < ng; i++) {
		const struct td_group *g = td_groups_get(d->groups, i);

		cg[i] = (struct td_metrics_cgroup){
			.path = g->path, .mode = td_mode_name(td_groups_policy(d->groups)[i].mode),
			.pages_promoted = g->pages_promoted, .fast_bytes = g->fast_bytes,
			.slow_bytes = g->slow_bytes, .failed_by_reason = g->failed_by_reason,
		};
	}
	td_sources_stats(d->sources, st);
	td_hotness_get_stats(d->hot, &hs);
	by_source[0] = d->events_by_source[TD_SRC_HINT_FAULT];
	by_source[1] = d->events_by_source[TD_SRC_SAMPLE];
	struct td_metrics_snapshot s = {
		.uptime_s = (double)(td_now_ns() - d->start_ns) / 1e9,
		.events_received = d->events_received, .events_dropped = st[TD_STAT_DROPPED],
		.hot_entries = hs.live, .pages_promoted = c->pages_promoted,
		.pages_demoted = d->demoter ? td_demoter_counters(d->demoter)->pages_demoted : 0,
		.reloads = d->reloads, .reload_failures = d->reload_failures,
		.reason_names = reasons, .failed_by_reason = c->errors, .n_reasons = TD_ERR__MAX,
		.source_names = sources, .events_by_source = by_source, .n_sources = 2,
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
