/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * config.h - tieringd.conf: INI in the systemd manner. Pure: the caller
 * reads the files (main file, then drop-ins in name order) and feeds their
 * text here; a later file wins per key.
 *
 *   # comment            ; comment         (on their own lines)
 *   [Daemon]
 *   Key=Value
 *   [Cgroup "/path/below/cgroup/root"]
 *   Key=Value
 *
 * Unknown sections and keys, bad values and units, and a section given
 * twice in one file are errors, each reported as "FILE:LINE: message".
 */
#ifndef TIERINGD_CONFIG_H
#define TIERINGD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TD_CONFIG_MAX_CGROUPS 1024
#define TD_CONFIG_MAX_ERRORS 32
#define TD_CONFIG_PATH_MAX 512

enum td_mode {
	TD_MODE_PROMOTE = 0,	/* move pages both ways */
	TD_MODE_OBSERVE,	/* track and report, move nothing */
	TD_MODE_OFF,		/* ignore entirely */
};

enum td_source_mask {
	TD_SOURCES_HINT = 1 << 0,
	TD_SOURCES_SAMPLE = 1 << 1,
};

/* Which hint-fault hook to use; auto walks the fallback chain. */
enum td_hint_hook {
	TD_HINT_HOOK_AUTO = 0,
	TD_HINT_HOOK_MIGRATE_CHECK,	/* fexit/numa_migrate_check (6.12+) */
	TD_HINT_HOOK_MIGRATE_PREP,	/* fexit/numa_migrate_prep (6.1) */
	TD_HINT_HOOK_TASK_NUMA_FAULT,	/* fentry/task_numa_fault + handle_mm_fault */
};

/* "keep": leave the kernel setting alone. */
#define TD_KEEP (-1)

struct td_cgroup_policy {
	char path[TD_CONFIG_PATH_MAX];	/* "/a/b", relative to the cgroup root */
	enum td_mode mode;		/* [Daemon] DefaultMode= unless Mode= is set */
	uint32_t hot_threshold;		/* decayed accesses; 0 = the [Daemon] default */
	uint64_t promote_rate_limit_mbps; /* 0 = no own limit */
	uint64_t max_fast_bytes;	/* 0 = no cap */
	uint32_t max_fast_percent;	/* of memory.max, 1..100; 0 = not a percentage */
	uint32_t weight;		/* 1..10000, default 100 */
	/* bit per key: which keys this section set (for drop-in merging) */
	uint32_t set_mask;
};

struct td_daemon_config {
	bool fast_nodes_auto, slow_nodes_auto;
	uint64_t fast_nodes, slow_nodes;	/* node masks when not auto */
	uint32_t sources;			/* enum td_source_mask */
	enum td_hint_hook hint_hook;
	uint64_t sample_period;
	int numa_balancing;			/* 0..3 or TD_KEEP */
	int64_t kernel_promote_rate_limit_mbps;	/* or TD_KEEP */
	uint64_t tick_ms;
	uint32_t batch_size;
	uint32_t move_workers;		/* move_pages(2) calls at once, 1..16 */
	uint64_t rate_limit_mbps;		/* global, 0 = none */
	uint64_t fast_watermark_bytes;
	uint32_t hotness_capacity;
	uint64_t hotness_half_life_ms;
	uint32_t hot_threshold;			/* decayed accesses */
	uint64_t ring_buffer_bytes;
	enum td_mode default_mode;
	bool demotion;
	bool override_placement;		/* promote past cpusets and mbind policies */
	uint64_t demote_rate_limit_mbps;
	uint64_t pingpong_window_ms;
	char metrics_file[TD_CONFIG_PATH_MAX];	/* "" = off */
};

struct td_config {
	struct td_daemon_config daemon;
	struct td_cgroup_policy cgroups[TD_CONFIG_MAX_CGROUPS];
	size_t n_cgroups;
	char errors[TD_CONFIG_MAX_ERRORS][256];
	size_t n_errors;		/* errors beyond the array are counted too */
};

/*
 * The key table: every key of every section, once, in the order of
 * tieringd.conf(5). The parser looks keys up here; the tests and the man
 * page check iterate it. Read-only.
 */
enum td_config_section {
	TD_CONFIG_DAEMON = 0,	/* [Daemon]: fills struct td_daemon_config */
	TD_CONFIG_CGROUP,	/* [Cgroup "/path"]: fills struct td_cgroup_policy */
};

struct td_config_key {
	const char *name;			/* "BatchSize", as written before '=' */
	enum td_config_section section;
	/*
	 * Checks value and, only when it is valid, stores it into base (the
	 * section's struct) at offset, and at offset2 for the keys that fill
	 * two fields. Returns 0, or -EINVAL and leaves base unchanged.
	 */
	int (*parse)(const struct td_config_key *key, const char *value, void *base);
	size_t offset, size;			/* the field it fills, in base */
	size_t offset2, size2;			/* a second field (FastNodes=' auto flag,
						 * MaxFastMemory=' percentage); size2 0: none */
	uint64_t min, max;			/* accepted range of a number, in the field's unit
						 * (MaxFastMemory=: of the percentage) */
	uint32_t set_bit;			/* [Cgroup]: the key's bit in set_mask */
	bool start_only;			/* read at start only: a reload does not apply it */
};

/* The table; *ret_n is set to its length. Never NULL. */
const struct td_config_key *td_config_keys(size_t *ret_n);

/* The key called name (case-sensitive) in section s, or NULL. */
const struct td_config_key *td_config_key_find(enum td_config_section s, const char *name);

/* "Daemon", "Cgroup": the section's name as in "[Daemon]". */
const char *td_config_section_name(enum td_config_section s);

/*
 * Reload: the start-only keys (start_only in the table) keep the values in
 * force, old's, in new, so nothing is half applied. Returns how many of
 * them new had changed, their names in ret_names (at most max).
 */
size_t td_config_keep_start_only(struct td_config *new, const struct td_config *old,
				 const char **ret_names, size_t max);

/* Fills c with the documented defaults, no cgroups, no errors. */
void td_config_init(struct td_config *c);

/*
 * Parses one file's text (len bytes, need not be NUL-terminated) into c,
 * over what is there already: a key given again wins. fname is used in
 * error messages. Returns 0 if this text had no errors, -EINVAL if it had
 * some (appended to c->errors).
 */
int td_config_parse(struct td_config *c, const char *fname, const char *text, size_t len);

/*
 * The policy that covers cgroup path p: the section with the longest path
 * that is p or an ancestor of p, or NULL (the [Daemon] DefaultMode applies).
 */
const struct td_cgroup_policy *td_config_policy_for(const struct td_config *c, const char *p);

/* "promote", "observe", "off". */
const char *td_mode_name(enum td_mode m);

/* Value parsers, exposed for tests and for tieringctl. 0 or -EINVAL. */
int td_parse_bytes(const char *s, uint64_t *ret);		/* 512, 4K, 64M, 2G, 1T */
int td_parse_duration_ms(const char *s, uint64_t *ret);	/* 250ms, 2s, 1min, 1h; bare = s */
int td_parse_nodemask(const char *s, uint64_t *ret);		/* "0,2-3" */
int td_parse_bool(const char *s, bool *ret);			/* yes/no/true/false/on/off/1/0 */

#endif
