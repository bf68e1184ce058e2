// SPDX-License-Identifier: GPL-2.0-only
/*
 * control.c - the verbs of the control socket (lib/proto.h has the codec)
 * and the metrics snapshot: read-only views of the daemon's state, plus
 * reload, pause and resume, which only root may ask for.
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
#include "json.h"
#include "ops/log.h"
#include "metrics.h"
#include "move/promoter.h"
#include "proto.h"

#define PAGE_SIZE_B 4096

static double hotness_accesses(uint32_t h)
{
	return (double)h / TD_HOTNESS_ONE;
}

static void node_list(struct td_json *j, const char *key, uint64_t mask)
{
	td_json_key(j, key);
	td_json_begin_array(j);
	for (int n = 0; n < 64; n++)
		if (mask & (1ULL << n))
			td_json_i64(j, n);
	td_json_end_array(j);
}

static void reply_status(struct td_daemon *d, struct td_json *j)
{
	const struct td_promoter_counters *c = td_promoter_counters(d->promoter);
	uint64_t st[TD_STAT__MAX] = { 0 };
	struct td_hotness_stats hs;

	td_sources_stats(d->sources, st);
	td_hotness_get_stats(d->hot, &hs);
	td_json_field_u64(j, "uptime_s", (td_now_ns() - d->start_ns) / 1000000000ULL);
	td_json_field_bool(j, "paused", d->paused);
	node_list(j, "fast_nodes", d->fast_mask);
	node_list(j, "slow_nodes", d->slow_mask);
	td_json_key(j, "sources");
	td_json_begin_array(j);
	for (int i = 0; i < TD_SOURCE__MAX; i++) {
		const struct td_source_status *s = td_sources_status(d->sources, i);

		td_json_begin_object(j);
		td_json_field_string(j, "name", s->name);
		td_json_field_string(j, "hook", s->hook);
		td_json_field_bool(j, "attached", s->attached);
		td_json_field_bool(j, "enabled", s->enabled);
		td_json_end_object(j);
	}
	td_json_end_array(j);
	td_json_field_u64(j, "events_received", d->events_received);
	td_json_field_u64(j, "events_dropped", st[TD_STAT_DROPPED]);
	td_json_field_u64(j, "hot_entries", hs.live);
	td_json_field_u64(j, "pages_promoted", c->pages_promoted);
	td_json_field_u64(j, "pages_failed", c->pages_failed);
	td_json_field_u64(j, "pages_demoted",
			  d->demoter ? td_demoter_counters(d->demoter)->pages_demoted : 0);
	td_json_field_i64(j, "kernel_numa_balancing", td_daemon_kernel_numa_balancing());
	td_json_field_string(j, "limitation", d->limitation);
	td_json_field_u64(j, "reloads", d->reloads);
	td_json_field_u64(j, "reload_failures", d->reload_failures);
	td_json_field_string(j, "config", d->opt.config_path ? d->opt.config_path : "");
	td_json_field_bool(j, "dry_run", d->opt.dry_run);
}

static void add_counter(const char *name, uint64_t v, void *ud)
{
	td_json_field_u64(ud, name, v);
}

static void reply_stats(struct td_daemon *d, struct td_json *j)
{
	td_json_key(j, "counters");
	td_json_begin_object(j);
	td_daemon_foreach_counter(d, add_counter, j);
	td_json_end_object(j);
}

static uint32_t accesses_of(const struct td_daemon *d, const struct td_group *g)
{
	return g->pol && g->pol->hot_threshold ? g->pol->hot_threshold : d->cfg->hot_threshold;
}

static void reply_cgroups(struct td_daemon *d, struct td_json *j)
{
	const struct td_policy_group *pg = td_groups_policy(d->groups);

	td_json_key(j, "cgroups");
	td_json_begin_array(j);
	for (size_t i = 0; i < td_groups_count(d->groups); i++) {
		const struct td_group *g = td_groups_get(d->groups, i);

		td_json_begin_object(j);
		td_json_field_string(j, "path", g->path);
		td_json_field_string(j, "mode", td_mode_name(pg[i].mode));
		td_json_field_bool(j, "default", g->is_default);
		td_json_field_bool(j, "paused", pg[i].paused);
		td_json_field_u64(j, "weight", pg[i].weight);
		td_json_field_u64(j, "hot_threshold", accesses_of(d, g));
		td_json_field_u64(j, "rate_limit_mbps", pg[i].rate.mbps);
		td_json_field_u64(j, "max_fast_bytes", pg[i].fast_cap_pages == TD_POLICY_NO_LIMIT ?
				  0 : pg[i].fast_cap_pages * PAGE_SIZE_B);
		td_json_field_u64(j, "pages_promoted", g->pages_promoted);
		td_json_field_u64(j, "pages_failed", g->pages_failed);
		td_json_field_u64(j, "fast_bytes", g->fast_bytes);
		td_json_field_u64(j, "slow_bytes", g->slow_bytes);
		td_json_end_object(j);
	}
	td_json_end_array(j);
}

static bool pid_filter(const struct td_hotness_info *i, void *ud)
{
	return i->tgid == *(const uint32_t *)ud;
}

static int reply_top(struct td_daemon *d, const struct td_request *rq, struct td_json *j)
{
	struct td_hotness_info *v = calloc(rq->top_n, sizeof(*v));
	uint64_t now = td_now_ns();
	int n;

	if (!v)
		return -ENOMEM;
	n = td_hotness_hottest(d->hot, now, 0, rq->has_pid ? pid_filter : NULL,
			       (void *)&rq->pid, rq->top_n, v);
	td_json_key(j, "pages");
	td_json_begin_array(j);
	for (int i = 0; i < n; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "0x%" PRIx64, v[i].addr);
		td_json_begin_object(j);
		td_json_field_u64(j, "pid", v[i].tgid);
		td_json_field_string(j, "addr", addr);
		td_json_field_double(j, "hotness", hotness_accesses(v[i].hotness));
		td_json_field_i64(j, "node", v[i].node);
		td_json_field_string(j, "cgroup", td_groups_path_of(d->groups, v[i].memcg_id, now));
		td_json_end_object(j);
	}
	td_json_end_array(j);
	free(v);
	return 0;
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

static void reply_why(struct td_daemon *d, const struct td_request *rq, struct td_json *j)
{
	uint64_t now = td_now_ns(), addr = rq->addr & ~(uint64_t)(PAGE_SIZE_B - 1);
	struct td_hotness_info i;
	char a[32], dec[64] = "none", why[160] = "no access to this page was seen";
	int g;

	snprintf(a, sizeof(a), "0x%" PRIx64, addr);
	td_json_field_u64(j, "pid", rq->pid);
	td_json_field_string(j, "addr", a);
	if (td_hotness_get(d->hot, rq->pid, addr, now, &i) < 0) {
		td_json_field_bool(j, "tracked", false);
		td_json_field_string(j, "decision", dec);
		td_json_field_string(j, "reason", why);
		return;
	}
	g = td_groups_of(d->groups, i.memcg_id, now);
	explain(d, &i, g < 0 ? NULL : &td_groups_policy(d->groups)[g], dec, sizeof(dec), why,
		sizeof(why));
	td_json_field_bool(j, "tracked", true);
	td_json_field_double(j, "hotness", hotness_accesses(i.hotness));
	if (g >= 0)
		td_json_field_double(j, "threshold",
				     hotness_accesses(td_groups_policy(d->groups)[g].hot_threshold));
	td_json_field_i64(j, "node", i.node);
	td_json_field_string(j, "tier", tier_of(d, i.node));
	td_json_field_string(j, "cgroup", td_groups_path_of(d->groups, i.memcg_id, now));
	if (g >= 0) {
		td_json_field_string(j, "policy", td_groups_get(d->groups, g)->path);
		td_json_field_string(j, "mode", td_mode_name(td_groups_policy(d->groups)[g].mode));
	}
	td_json_field_string(j, "decision", dec);
	td_json_field_string(j, "reason", why);
}

/* pause/resume: everything, or one policy group by its path. */
static int set_paused(struct td_daemon *d, const struct td_request *rq, bool paused,
		      struct td_json *j)
{
	int g;

	if (!rq->has_cgroup) {
		d->paused = paused;
		td_info("%s by tieringctl", paused ? "paused" : "resumed");
		td_json_field_bool(j, "paused", paused);
		td_json_key(j, "cgroup");
		td_json_null(j);
		return 0;
	}
	g = td_groups_find(d->groups, rq->cgroup);
	if (g < 0)
		return -ENOENT;
	td_groups_policy(d->groups)[g].paused = paused;
	td_info("cgroup %s %s by tieringctl", rq->cgroup, paused ? "paused" : "resumed");
	td_json_field_bool(j, "paused", paused);
	td_json_field_string(j, "cgroup", rq->cgroup);
	return 0;
}

static char *finish(struct td_json *j, size_t *ret_len)
{
	if (td_json_error(j)) {
		td_json_fini(j);
		return NULL;
	}
	return td_json_take(j, ret_len);
}

static char *error_reply(const char *msg, size_t *ret_len)
{
	struct td_json j;

	td_json_init(&j);
	td_proto_reply_error(&j, msg);
	return finish(&j, ret_len);
}

/* The mutating verbs; an error message or NULL. */
static const char *run_mutating(struct td_daemon *d, const struct td_request *rq,
				struct td_json *j, char *err, size_t errlen)
{
	int r;

	switch (rq->verb) {
	case TD_VERB_RELOAD:
		r = td_daemon_reload(d, err, errlen);
		if (r == -ENOMEM)
			return "out of memory";
		if (r)
			return err;
		td_json_field_bool(j, "reloaded", true);
		return NULL;
	case TD_VERB_PAUSE:
	case TD_VERB_RESUME:
		if (set_paused(d, rq, rq->verb == TD_VERB_PAUSE, j) == 0)
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
	struct td_json j;
	char err[2048];
	const char *e = NULL;

	if (td_proto_parse_request(line, len, &rq, err, sizeof(err)) < 0)
		return error_reply(err, ret_len);
	if (td_proto_verb_mutating(rq.verb) && peer->uid != 0) {
		snprintf(err, sizeof(err), "permission denied: '%s' needs root",
			 td_proto_verb_name(rq.verb));
		return error_reply(err, ret_len);
	}
	td_json_init(&j);
	td_proto_reply_begin(&j, true);
	switch (rq.verb) {
	case TD_VERB_STATUS:
		reply_status(d, &j);
		break;
	case TD_VERB_STATS:
		reply_stats(d, &j);
		break;
	case TD_VERB_CGROUPS:
		reply_cgroups(d, &j);
		break;
	case TD_VERB_TOP:
		if (reply_top(d, &rq, &j) < 0)
			e = "out of memory";
		break;
	case TD_VERB_WHY:
		reply_why(d, &rq, &j);
		break;
	default:
		e = run_mutating(d, &rq, &j, err, sizeof(err));
		break;
	}
	if (e) {
		td_json_fini(&j);
		return error_reply(e, ret_len);
	}
	td_proto_reply_end(&j);
	return finish(&j, ret_len);
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
