// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for daemon/ops/control.c: the verbs, through
 * td_control_handle(), over a real pipeline without a kernel: the hotness
 * table, the policy groups of a parsed tieringd.conf on a temp-dir cgroup
 * tree, and the promoter with a fake move_pages(2) and a fake machine.
 * The sources are a link-time fake (two statuses).
 *
 * The central test: for every reason, the promoter's tick counts one
 * decision for the page (promote_decisions_<reason> in `stats`), and
 * `why PID ADDR` answers that same reason. Two outputs, one decision.
 * And who sees addresses: a peer that is not root only its own processes,
 * their owners from a fake pid_owner.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "counters.h"
#include "decide.h"
#include "move/promoter.h"
#include "ops/control.h"
#include "pipeline.h"
#include "policy/groups.h"
#include "source/sources.h"
#include "units.h"
#include "tmptree.h"

#define SEC 1000000000ULL
#define ADDR 0x7f0000001000ULL
#define PID 10

/* ------------------------------------------------------------ fake sources */

static const struct td_source_status fake_status[TD_SOURCE__MAX] = {
	{ .name = "hint-faults", .hook = "fake", .enabled = true, .attached = true },
	{ .name = "sampling", .hook = "none" },
};

const struct td_source_status *td_sources_status(const struct td_sources *s, int idx)
{
	return idx >= 0 && idx < TD_SOURCE__MAX ? &fake_status[idx] : NULL;
}

/* ------------------------------------------------------------ the world */

static const char conf_text[] =
	"[Daemon]\n"
	"HotThreshold=2\n"
	"\n"
	"[Cgroup \"/a\"]\n"
	"Mode=promote\n"
	"\n"
	"[Cgroup \"/obs\"]\n"
	"Mode=observe\n";

struct world {
	struct tmptree t;
	char cg[PATH_MAX], sys[PATH_MAX];
	struct td_config conf;
	struct td_pipeline p;
	struct td_move_ops mops;
	struct td_node_ops nops;
	uint64_t free_bytes, now;
	bool demoted;
	unsigned moved, reloads;
	unsigned owner_calls;	/* pid_owner lookups */
	uint64_t id_a, id_obs;
};

static long fake_move_pages(void *ctx, pid_t pid, unsigned long count, void **pages,
			    const int *nodes, int *status, int flags)
{
	struct world *w = ctx;

	for (unsigned long i = 0; i < count; i++)
		status[i] = nodes ? nodes[i] : 1;
	if (nodes)
		w->moved += count;
	return 0;
}

static int fake_free(void *ctx, uint64_t mask, uint64_t ret[TD_MAX_NODES])
{
	struct world *w = ctx;

	for (int n = 0; n < TD_MAX_NODES; n++)
		ret[n] = td_node_in(mask, n) ? w->free_bytes : 0;
	return 0;
}

static int fake_distance(void *ctx, int a, int b)
{
	return a == b ? 10 : 20;
}

static uint64_t fake_now(void *ctx)
{
	return ((struct world *)ctx)->now;
}

static int hook_group_of(void *ctx, uint64_t memcg)
{
	struct world *w = ctx;

	return td_groups_of(w->p.groups, memcg, w->now);
}

static bool hook_demoted(void *ctx, uint64_t memcg, uint64_t now)
{
	return ((struct world *)ctx)->demoted;
}

/* The counters the verbs show: the promoter's and the table's, enough here. */
static void ops_counters(void *ud, struct td_counters *ret)
{
	struct world *w = ud;
	const struct td_promoter_counters *c = td_promoter_counters(w->p.promoter);
	struct td_hotness_stats hs;

	memset(ret, 0, sizeof(*ret));
	td_hotness_get_stats(w->p.hot, &hs);
	ret->v[TD_CTR_HOT_ENTRIES][0] = hs.live;
	ret->v[TD_CTR_PAGES_PROMOTED][0] = c->pages_promoted;
	ret->v[TD_CTR_PAGES_FAILED][0] = c->pages_failed;
	memcpy(ret->v[TD_CTR_PROMOTE_DECISIONS], c->decided, sizeof(c->decided));
	ret->v[TD_CTR_RELOADS][0] = w->reloads;
}

static int ops_reload(void *ud, char *err, size_t errlen)
{
	snprintf(err, errlen, "test.conf:3: unknown key 'Bogus'");
	return -EINVAL;
}

static void ops_rescan(void *ud)
{
}

static uint64_t ops_now(void *ud)
{
	return ((struct world *)ud)->now;
}

/* PID (10) and 12 are uid 1000's, 11 is uid 2000's, 13 is a set-uid
 * program (root's), there is no other. */
static int ops_pid_owner(void *ud, uint32_t pid, uid_t *ret)
{
	static const uid_t owners[] = { [PID] = 1000, [11] = 2000, [12] = 1000, [13] = 0 };

	((struct world *)ud)->owner_calls++;
	if (pid < PID || pid >= sizeof(owners) / sizeof(owners[0]))
		return -ESRCH;
	*ret = owners[pid];
	return 0;
}

static void world_new(struct world *w, uint64_t rate_mbps)
{
	struct td_hotness_params hp = { .capacity = 1024, .half_life_ns = SEC };
	struct td_promoter_config pc = {
		.fast_mask = 1, .slow_mask = 2, .batch_pages = 16, .rate_limit_mbps = rate_mbps,
		.watermark_bytes = 1 << 20, .max_candidates = 256, .retry_backoff_ns = SEC / 10,
		.recently_demoted = hook_demoted, .group_of = hook_group_of, .hook_ctx = w,
	};

	memset(w, 0, sizeof(*w));
	tmptree_new(&w->t);
	tmptree_mkdir(&w->t, "cg/a");
	tmptree_mkdir(&w->t, "cg/obs");
	tmptree_mkdir(&w->t, "sys");
	tmptree_path(&w->t, "cg", w->cg, sizeof(w->cg));
	tmptree_path(&w->t, "sys", w->sys, sizeof(w->sys));
	w->id_a = tmptree_ino(&w->t, "cg/a");
	w->id_obs = tmptree_ino(&w->t, "cg/obs");
	w->now = 100 * SEC;
	w->free_bytes = 1ULL << 30;
	td_config_init(&w->conf);
	assert_int_equal(td_config_parse(&w->conf, "test.conf", conf_text, strlen(conf_text)), 0);
	w->mops = (struct td_move_ops){ .move_pages = fake_move_pages, .ctx = w };
	w->nops = (struct td_node_ops){
		.free_bytes = fake_free, .distance = fake_distance, .now_ns = fake_now, .ctx = w,
	};
	w->p = (struct td_pipeline){
		.cfg = &w->conf.daemon, .fast_mask = 1, .slow_mask = 2, .config_path = "test.conf",
		.limitation = "",
		.ops = { .counters = ops_counters, .reload = ops_reload, .rescan_cgroups = ops_rescan,
			 .now_ns = ops_now, .pid_owner = ops_pid_owner, .ud = w },
	};
	assert_int_equal(td_hotness_new(&hp, &w->p.hot), 0);
	assert_int_equal(td_groups_new_at(w->cg, w->sys, 1, 2, &w->p.groups), 0);
	assert_int_equal(td_groups_apply(w->p.groups, &w->conf, NULL, NULL), 0);
	assert_int_equal(td_promoter_new(&pc, &w->mops, &w->nops, w->p.hot, &w->p.promoter), 0);
}

static void world_free(struct world *w)
{
	td_promoter_free(w->p.promoter);
	td_groups_free(w->p.groups);
	td_hotness_free(w->p.hot);
	tmptree_free(&w->t);
}

static struct td_policy_group *policy(struct world *w, const char *path)
{
	int g = td_groups_find(w->p.groups, path);

	assert_true(g >= 0);
	return &td_groups_policy(w->p.groups)[g];
}

static void touch_pid(struct world *w, uint32_t pid, uint64_t addr, uint64_t memcg, int times)
{
	struct td_hotness_access a = { .addr = addr, .memcg_id = memcg, .tgid = pid, .node = 1 };

	for (int i = 0; i < times; i++)
		assert_true(td_hotness_record(w->p.hot, &a, w->now) >= 0);
}

static void touch(struct world *w, uint64_t addr, uint64_t memcg, int times)
{
	touch_pid(w, PID, addr, memcg, times);
}

static void tick(struct world *w)
{
	assert_true(td_promoter_tick(w->p.promoter, w->now, SEC / 10, w->p.paused,
				     td_groups_policy(w->p.groups),
				     td_groups_count(w->p.groups)) >= 0);
}

/* Sends one request line as uid; returns the parsed reply (caller decrefs). */
static json_t *ask(struct world *w, const char *line, uid_t uid)
{
	struct td_peer peer = { .uid = uid, .in_group = true };
	size_t len = 0;
	char *reply = td_control_handle(&w->p, line, strlen(line), &peer, &len);
	json_error_t e;
	json_t *j;

	assert_non_null(reply);
	assert_true(len > 0 && reply[len - 1] == '\n');
	j = json_loadb(reply, len, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		fail_msg("reply is not strict JSON: %s: %s", e.text, reply);
	free(reply);
	return j;
}

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("no string member %s", key);
	return json_string_value(v);
}

/* ------------------------------------------------------------ why == tick */

struct agree_case {
	const char *name;
	enum td_reason want;
	uint64_t rate_mbps;
	void (*setup)(struct world *w);
};

static void s_hot(struct world *w) { touch(w, ADDR, w->id_a, 3); }
static void s_threshold(struct world *w) { policy(w, "/a")->hot_threshold = td_threshold_of(8); touch(w, ADDR, w->id_a, 3); }
static void s_pingpong(struct world *w) { w->demoted = true; touch(w, ADDR, w->id_a, 1); }
static void s_backoff(struct world *w)
{
	touch(w, ADDR, w->id_a, 3);
	td_hotness_note_move_failed(w->p.hot, PID, ADDR, TD_HOTNESS_DIR_PROMOTE, w->now);
}
static void s_mode(struct world *w) { touch(w, ADDR, w->id_obs, 3); }
static void s_group_paused(struct world *w) { policy(w, "/a")->paused = true; touch(w, ADDR, w->id_a, 3); }
static void s_cap(struct world *w)
{
	policy(w, "/a")->fast_cap_bytes = 10 * TD_PAGE_SIZE;
	policy(w, "/a")->fast_bytes = 10 * TD_PAGE_SIZE;
	touch(w, ADDR, w->id_a, 3);
}
static void s_group_rate(struct world *w)
{
	td_ratelimit_init(&policy(w, "/a")->rate, 1);
	for (int i = 0; i < 40; i++)
		touch(w, ADDR + (uint64_t)i * TD_PAGE_SIZE, w->id_a, i == 0 ? 3 : 4);
}
static void s_rate(struct world *w)
{
	for (int i = 0; i < 40; i++)
		touch(w, ADDR + (uint64_t)i * TD_PAGE_SIZE, w->id_a, i == 0 ? 3 : 4);
}
static void s_room(struct world *w) { w->free_bytes = 0; touch(w, ADDR, w->id_a, 3); }
static void s_no_group(struct world *w) { touch(w, ADDR, 999999, 3); }

static const struct agree_case agree_cases[] = {
	{ "promote", TD_REASON_PROMOTE, 0, s_hot },
	{ "threshold", TD_REASON_THRESHOLD, 0, s_threshold },
	{ "ping-pong", TD_REASON_PINGPONG, 0, s_pingpong },
	{ "back-off", TD_REASON_BACKOFF, 0, s_backoff },
	{ "mode", TD_REASON_MODE, 0, s_mode },
	{ "group paused", TD_REASON_GROUP_PAUSED, 0, s_group_paused },
	{ "cap", TD_REASON_CAP, 0, s_cap },
	{ "group rate", TD_REASON_GROUP_RATE, 0, s_group_rate },
	{ "rate", TD_REASON_RATE, 1, s_rate },
	{ "room", TD_REASON_ROOM, 0, s_room },
	{ "no group", TD_REASON_NO_GROUP, 0, s_no_group },
};

/* The reason the tick counted for the one page (the delta in stats). */
static const char *counted_reason(struct world *w, const uint64_t before[TD_REASON__MAX],
				  bool multi)
{
	const uint64_t *after = td_promoter_counters(w->p.promoter)->decided;
	const char *got = NULL;

	for (int r = 0; r < TD_REASON__MAX; r++) {
		if (after[r] == before[r] || (multi && r == TD_REASON_PROMOTE))
			continue;
		if (got)
			fail_msg("two reasons counted: %s and %s", got, td_reason_name(r));
		got = td_reason_name(r);
	}
	return got ? got : "(none)";
}

static void test_why_agrees_with_tick(void **state)
{
	for (size_t k = 0; k < sizeof(agree_cases) / sizeof(agree_cases[0]); k++) {
		const struct agree_case *c = &agree_cases[k];
		bool multi = c->setup == s_rate || c->setup == s_group_rate;
		uint64_t before[TD_REASON__MAX];
		char line[64];
		struct world w;
		const char *counted, *code;
		json_t *j;

		world_new(&w, c->rate_mbps);
		c->setup(&w);
		memcpy(before, td_promoter_counters(w.p.promoter)->decided, sizeof(before));
		tick(&w);
		counted = counted_reason(&w, before, multi);
		/* multi: the coldest page, held by the limit while the others went */
		snprintf(line, sizeof(line), "why %d 0x%" PRIx64, PID, (uint64_t)ADDR);
		j = ask(&w, line, 0);
		code = str(j, "reason_code");
		if (strcmp(counted, td_reason_name(c->want)))
			fail_msg("%s: the tick counted %s", c->name, counted);
		if (c->want == TD_REASON_PROMOTE ? strcmp(code, "promoted") : strcmp(code, counted))
			fail_msg("%s: why says %s (%s), the tick counted %s", c->name, code,
				 str(j, "reason"), counted);
		assert_string_equal(str(j, "decision"), td_reason_decision(
					    c->want == TD_REASON_PROMOTE ? TD_REASON_PROMOTED : c->want));
		assert_int_equal(w.moved > 0, c->want == TD_REASON_PROMOTE || multi);
		json_decref(j);
		world_free(&w);
	}
}

static void test_why_paused(void **state)
{
	struct world w;
	json_t *j;

	world_new(&w, 0);
	s_hot(&w);
	j = ask(&w, "pause", 0);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);
	assert_true(w.p.paused);
	tick(&w);
	assert_int_equal(w.moved, 0);
	j = ask(&w, "why 10 0x7f0000001234", 0);	/* any address within the page */
	assert_string_equal(str(j, "reason_code"), "paused");
	assert_string_equal(str(j, "addr"), "0x7f0000001000");
	json_decref(j);
	world_free(&w);
}

/* why names the node the page is used from and the target it was given
 * (td_promoter_target): here CPU node 0, moved there by the tick. */
static void test_why_target(void **state)
{
	struct world w;
	json_t *j;

	world_new(&w, 0);
	s_hot(&w);
	tick(&w);
	assert_int_equal(w.moved, 1);
	j = ask(&w, "why 10 0x7f0000001000", 0);
	assert_int_equal(json_integer_value(json_object_get(j, "cpu_node")), 0);
	assert_int_equal(json_integer_value(json_object_get(j, "cpu_node_votes")), 3);
	assert_int_equal(json_integer_value(json_object_get(j, "target_node")), 0);
	assert_string_equal(str(j, "target"), "local");
	json_decref(j);
	world_free(&w);
}

/* ------------------------------------------------------------ the other verbs */

static void test_status_keys(void **state)
{
	static const char *const keys[] = {
		"version", "uptime_s", "paused", "fast_nodes", "slow_nodes", "sources",
		"events_received", "events_dropped", "hot_entries", "pages_promoted",
		"pages_failed", "kernel_numa_balancing", "hot_threshold",
	};
	struct world w;
	json_t *j;

	world_new(&w, 0);
	j = ask(&w, "status", 1000);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_get(j, keys[i]))
			fail_msg("status has no %s", keys[i]);
	assert_int_equal(json_array_size(json_object_get(j, "sources")), TD_SOURCE__MAX);
	/* the same threshold, in the same unit, in status, cgroups and why */
	assert_true(json_real_value(json_object_get(j, "hot_threshold")) == 1.0);
	json_decref(j);
	world_free(&w);
}

static void test_thresholds_one_unit(void **state)
{
	struct world w;
	json_t *j, *cg;
	double in_cgroups = -1, in_why;
	size_t i;

	world_new(&w, 0);
	touch(&w, ADDR, w.id_a, 1);
	j = ask(&w, "cgroups", 0);
	json_array_foreach(json_object_get(j, "cgroups"), i, cg)
		if (!strcmp(str(cg, "path"), "/a"))
			in_cgroups = json_real_value(json_object_get(cg, "hot_threshold"));
	json_decref(j);
	j = ask(&w, "why 10 0x7f0000001000", 0);
	in_why = json_real_value(json_object_get(j, "threshold"));
	assert_true(in_cgroups == in_why);
	assert_true(in_why == td_hotness_accesses(td_threshold_of(2)));
	json_decref(j);
	world_free(&w);
}

static void test_stats_has_every_counter(void **state)
{
	struct world w;
	json_t *j, *c;
	unsigned n = 0;

	world_new(&w, 0);
	j = ask(&w, "stats", 0);
	c = json_object_get(j, "counters");
	for (unsigned i = 0; i < TD_CTR__MAX; i++) {
		const struct td_ctr_def *d = td_ctr_def(i);
		char name[96];

		for (unsigned k = 0; k < d->n_values; k++, n++) {
			if (d->label)
				snprintf(name, sizeof(name), "%s_%s", d->name, d->values[k]);
			else
				snprintf(name, sizeof(name), "%s", d->name);
			if (!json_is_integer(json_object_get(c, name)))
				fail_msg("stats has no counter %s", name);
		}
	}
	assert_int_equal(json_object_size(c), n);
	json_decref(j);
	world_free(&w);
}

static void test_mutating_needs_root(void **state)
{
	static const char *const lines[] = { "reload", "pause", "resume", "pause /a" };
	struct world w;
	json_t *j;

	world_new(&w, 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		j = ask(&w, lines[i], 1000);
		assert_true(json_is_false(json_object_get(j, "ok")));
		assert_non_null(strstr(str(j, "error"), "needs root"));
		json_decref(j);
	}
	assert_false(w.p.paused);
	assert_false(policy(&w, "/a")->paused);
	/* root: reload reports the daemon's errors, pause of an unknown group fails */
	j = ask(&w, "reload", 0);
	assert_string_equal(str(j, "error"), "test.conf:3: unknown key 'Bogus'");
	json_decref(j);
	j = ask(&w, "pause /nope", 0);
	assert_non_null(strstr(str(j, "error"), "no [Cgroup \"/nope\"] policy"));
	json_decref(j);
	j = ask(&w, "pause /a", 0);
	assert_true(policy(&w, "/a")->paused);
	assert_string_equal(str(j, "cgroup"), "/a");
	json_decref(j);
	j = ask(&w, "bogus", 0);
	assert_true(json_is_false(json_object_get(j, "ok")));
	json_decref(j);
	world_free(&w);
}

static void test_top(void **state)
{
	struct world w;
	json_t *j, *pages;

	world_new(&w, 0);
	touch(&w, ADDR, w.id_a, 1);
	touch(&w, ADDR + TD_PAGE_SIZE, w.id_a, 5);
	j = ask(&w, "top -n 1", 0);
	pages = json_object_get(j, "pages");
	assert_int_equal(json_array_size(pages), 1);
	assert_string_equal(str(json_array_get(pages, 0), "addr"), "0x7f0000002000");
	assert_string_equal(str(json_array_get(pages, 0), "cgroup"), "/a");
	json_decref(j);
	world_free(&w);
}

/* ------------------------------------------------------------ who sees addresses */

/* A refused request: ok false, "permission denied: ..." */
static void assert_denied(struct world *w, const char *line, uid_t uid)
{
	json_t *j = ask(w, line, uid);

	assert_true(json_is_false(json_object_get(j, "ok")));
	if (strncmp(str(j, "error"), "permission denied: ", 19))
		fail_msg("%s as uid %u: %s", line, (unsigned)uid, str(j, "error"));
	assert_null(json_object_get(j, "tracked"));
	json_decref(j);
}

static void test_why_owner(void **state)
{
	struct world w;
	json_t *j;

	world_new(&w, 0);
	touch(&w, ADDR, w.id_a, 3);
	touch_pid(&w, 11, ADDR, w.id_a, 3);
	touch_pid(&w, 13, ADDR, w.id_a, 3);
	/* the owner: its own process's page, tracked */
	j = ask(&w, "why 10 0x7f0000001000", 1000);
	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_true(json_is_true(json_object_get(j, "tracked")));
	json_decref(j);
	/* its own process, no access seen: an answer, not a refusal */
	j = ask(&w, "why 12 0x7f0000001000", 1000);
	assert_true(json_is_false(json_object_get(j, "tracked")));
	json_decref(j);
	/* another user's process, a set-uid one, one that does not exist */
	assert_denied(&w, "why 11 0x7f0000001000", 1000);
	assert_denied(&w, "why 10 0x7f0000001000", 2000);
	assert_denied(&w, "why 13 0x7f0000001000", 1000);
	assert_denied(&w, "why 99 0x7f0000001000", 1000);
	/* root sees everything, without asking who owns it */
	w.owner_calls = 0;
	for (uint32_t pid = 10; pid <= 13; pid += 3) {
		char line[64];

		snprintf(line, sizeof(line), "why %u 0x7f0000001000", pid);
		j = ask(&w, line, 0);
		assert_true(json_is_true(json_object_get(j, "tracked")));
		json_decref(j);
	}
	assert_int_equal(w.owner_calls, 0);
	/* no way to tell the owner: nobody but root */
	w.p.ops.pid_owner = NULL;
	assert_denied(&w, "why 10 0x7f0000001000", 1000);
	world_free(&w);
}

/* The pids of a top reply, as a bit mask (pids < 64). */
static uint64_t top_pids(struct world *w, const char *line, uid_t uid, size_t *ret_n)
{
	json_t *j = ask(w, line, uid), *pages = json_object_get(j, "pages"), *pg;
	uint64_t mask = 0;
	size_t i;

	assert_true(json_is_true(json_object_get(j, "ok")));
	assert_true(json_is_array(pages));
	json_array_foreach(pages, i, pg)
		mask |= 1ULL << json_integer_value(json_object_get(pg, "pid"));
	*ret_n = json_array_size(pages);
	json_decref(j);
	return mask;
}

static void test_top_owner(void **state)
{
	struct world w;
	size_t n;

	world_new(&w, 0);
	for (int i = 0; i < 8; i++) {
		touch_pid(&w, 10, ADDR + i * TD_PAGE_SIZE, w.id_a, 1 + i);
		touch_pid(&w, 11, ADDR + i * TD_PAGE_SIZE, w.id_a, 2 + i);
		touch_pid(&w, 12, ADDR + i * TD_PAGE_SIZE, w.id_a, 1);
		touch_pid(&w, 13, ADDR + i * TD_PAGE_SIZE, w.id_a, 3 + i);
	}
	assert_true(top_pids(&w, "top -n 100", 0, &n) == (1ULL << 10 | 1ULL << 11 | 1ULL << 12 |
							 1ULL << 13) && n == 32);
	/* uid 1000: its two processes' pages only, each owner asked once */
	w.owner_calls = 0;
	assert_true(top_pids(&w, "top -n 100", 1000, &n) == (1ULL << 10 | 1ULL << 12) && n == 16);
	assert_int_equal(w.owner_calls, 4);
	/* the hottest of its own, not the hottest overall (pid 13's) */
	assert_true(top_pids(&w, "top -n 3", 1000, &n) == 1ULL << 10 && n == 3);
	assert_true(top_pids(&w, "top -n 100", 2000, &n) == 1ULL << 11 && n == 8);
	assert_true(top_pids(&w, "top -n 100", 3000, &n) == 0 && n == 0);
	assert_true(top_pids(&w, "top --pid 12", 1000, &n) == 1ULL << 12 && n == 8);
	assert_denied(&w, "top --pid 11", 1000);
	assert_denied(&w, "top -n 5 --pid 13", 2000);
	assert_true(top_pids(&w, "top --pid 11", 0, &n) == 1ULL << 11 && n == 8);
	world_free(&w);
}

/* The real pid_owner: this process's Uid: line, and a pid that is not. */
static void test_pid_owner_proc(void **state)
{
	uid_t uid = 12345;

	assert_int_equal(td_control_pid_owner(NULL, getpid(), &uid), 0);
	assert_int_equal(uid, getuid() == geteuid() ? getuid() : 0);
	assert_int_equal(td_control_pid_owner(NULL, 1u << 30, &uid), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		tmptree_test(test_why_agrees_with_tick),
		tmptree_test(test_why_paused),
		tmptree_test(test_why_target),
		tmptree_test(test_status_keys),
		tmptree_test(test_thresholds_one_unit),
		tmptree_test(test_stats_has_every_counter),
		tmptree_test(test_mutating_needs_root),
		tmptree_test(test_top),
		tmptree_test(test_why_owner),
		tmptree_test(test_top_owner),
		cmocka_unit_test(test_pid_owner_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
