/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * pmu.h - turns a sysfs PMU event description into perf_event_attr config
 * words, the way perf(1) does for "cpu/mem-loads,ldlat=30/".
 *
 * A PMU lists its fields in /sys/bus/event_source/devices/<pmu>/format/<term>
 * ("config:0-7", "config1:0-15", "config:0-7,32-35") and its named events in
 * .../events/<name> ("event=0xcd,umask=0x1,ldlat=3"). This module parses
 * both; reading the files is the caller's business (daemon/pmu_probe.c).
 *
 * Pure code: no I/O, no logging, no allocation. Strings are taken exactly:
 * no whitespace anywhere, so strip the newline sysfs appends first.
 */
#ifndef TIERINGD_PMU_H
#define TIERINGD_PMU_H

#include <stdint.h>

/* perf_event_attr's config, config1 and config2. */
struct td_pmu_config {
	uint64_t config;
	uint64_t config1;
	uint64_t config2;
};

/* Which word of td_pmu_config a field lives in. */
enum td_pmu_word {
	TD_PMU_CONFIG = 0,
	TD_PMU_CONFIG1,
	TD_PMU_CONFIG2,
	TD_PMU_WORD__MAX,
};

/*
 * One field: the bits of one config word it occupies. A value's bits fill
 * the set bits of mask from the lowest up (perf's rule), so "config:0-7,32-35"
 * puts value bits 0-7 in bits 0-7 and value bits 8-11 in bits 32-35.
 */
struct td_pmu_format {
	enum td_pmu_word word;
	uint64_t mask;
};

/* Longest term name accepted, without the NUL. */
#define TD_PMU_TERM_MAX		63

/*
 * Parses a number as perf does: decimal ("30") or hexadecimal with 0x or 0X
 * ("0xcd"); no sign, no octal ("010" is ten). Returns 0, -EINVAL for
 * malformed text or -ERANGE when it does not fit in 64 bits.
 */
int td_pmu_parse_value(const char *s, uint64_t *ret);

/*
 * Parses a format spec: "config", "config1" or "config2", a ':', then one or
 * more comma-separated bit ranges "lo-hi" or single bits "n", 0 <= lo <= hi
 * <= 63 ("config:0-7", "config:21", "config:0-7,32-35"). Ranges may overlap,
 * as perf allows; the field is their union.
 * Returns 0, -EOPNOTSUPP for a well-formed spec naming a word we do not carry
 * ("config3", Linux 6.3+) or -EINVAL for anything else malformed.
 */
int td_pmu_format_parse(const char *spec, struct td_pmu_format *ret);

/* Number of bits in the field (0..64). */
unsigned int td_pmu_format_width(const struct td_pmu_format *f);

/*
 * Sets field f of *cfg to value: clears the field's bits, then deposits
 * value into them. Other bits are untouched, so a later apply overrides an
 * earlier one. Returns 0, -EINVAL when f is not a valid format (unknown word
 * or empty mask) or -ERANGE when value needs more bits than the field has;
 * on error *cfg is unchanged.
 */
int td_pmu_format_apply(const struct td_pmu_format *f, uint64_t value, struct td_pmu_config *cfg);

/*
 * Finds the format of a term, e.g. by reading <pmu>/format/<term>. term is a
 * NUL-terminated name already checked to be [A-Za-z_][A-Za-z0-9_-]*, at most
 * TD_PMU_TERM_MAX long (safe to put in a path). Returns 0 with *ret set,
 * -ENOENT when the PMU has no such format, or another negative errno, which
 * td_pmu_event_parse() passes on.
 */
typedef int td_pmu_lookup_fn(const char *term, struct td_pmu_format *ret, void *userdata);

/*
 * Builds the config words of an event description: starting from all zero,
 * applies each term of event, then each term of overrides (NULL or "" for
 * none) the same way, so "ldlat=30" in overrides replaces the event's ldlat.
 * A description is one or more comma-separated terms, each "name=value"
 * (value as td_pmu_parse_value()) or a bare "name" meaning name=1; a term
 * repeated later wins.
 * Terms are handled left to right, the first error is returned:
 * -EINVAL malformed text (empty event, empty term, bad name or value),
 * -ERANGE a value over 64 bits or wider than its field, -ENOENT a term the
 * PMU has no format for, or what lookup returned. *ret is written only on
 * success.
 */
int td_pmu_event_parse(const char *event, const char *overrides, td_pmu_lookup_fn *lookup,
		       void *userdata, struct td_pmu_config *ret);

#endif
