// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The man pages against lib/config.c's key table: tieringd.conf(5) has one
 * entry per key, in its section's part of the page, and no entry for a key
 * the table lacks; an entry says "Read at start only." exactly when the
 * table's start_only does; every Key= the pages mention is a key; and every
 * tieringd.conf example in the page parses without errors.
 *
 * An entry is the page's markup for a key: ".TP" and then ".BI Key= arg"
 * (or ".B Key="), under ".SH [DAEMON] SECTION" or ".SH [CGROUP] SECTIONS".
 * Run from the repository root (tests/check does).
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

#ifndef MAN_CONF	/* -D for a trial against an edited copy */
#define MAN_CONF	"man/tieringd.conf.5"
#endif
#define MAN_DAEMON	"man/tieringd.8"
#define MAX_ENTRIES	128
#define NAME_MAX_LEN	64
#define NO_SECTION	(-1)

struct entry {
	char name[NAME_MAX_LEN];
	int section;		/* enum td_config_section */
	unsigned line;
	bool start_only;	/* its paragraph says "Read at start only." */
};

struct man {
	struct entry e[MAX_ENTRIES];
	size_t n;
};

/* Freed by teardown, so a failing assertion leaks nothing. */
static char *texts[2];
static struct td_config *cfg;

static int teardown(void **state)
{
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		free(texts[i]);
		texts[i] = NULL;
	}
	free(cfg);
	cfg = NULL;
	return 0;
}

/* The whole file, NUL-terminated, into texts[slot]. */
static const char *read_text(const char *path, size_t slot)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n = 0;

	if (!f)
		fail_msg("cannot open %s: %s (run the unit tests from the repository root)", path,
			 strerror(errno));
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		fail_msg("cannot read %s", path);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	texts[slot] = buf;
	return buf;
}

/* Line [p, end of line) into buf, NUL-terminated; returns the next line or NULL. */
static const char *next_line(const char *p, char *buf, size_t size)
{
	const char *nl = strchr(p, '\n');
	size_t n = nl ? (size_t)(nl - p) : strlen(p);

	if (n >= size)
		fail_msg("man page line longer than %zu bytes: %.40s...", size - 1, p);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return nl ? nl + 1 : NULL;
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* "Key=..." (CamelCase, as config keys are; journal fields are upper case): the name. */
static bool key_token(const char *tok, char name[NAME_MAX_LEN])
{
	size_t n = 0;

	if (*tok == '"')
		tok++;
	if (!isupper((unsigned char)tok[0]) || !islower((unsigned char)tok[1]))
		return false;
	while (isalpha((unsigned char)tok[n]))
		n++;
	if (tok[n] != '=' || n >= NAME_MAX_LEN)
		return false;
	memcpy(name, tok, n);
	name[n] = '\0';
	return true;
}

/* A bold font macro (.B, .BI, .BR, .RB, .IB): where its arguments start, else 0. */
static size_t bold_args(const char *line)
{
	static const char *const macros[] = { ".B ", ".BI ", ".BR ", ".RB ", ".IB " };

	for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
		if (starts_with(line, macros[i]))
			return strlen(macros[i]);
	return 0;
}

/* The key section a ".SH" heading opens, or NO_SECTION. */
static int heading_section(const char *line)
{
	if (starts_with(line, ".SH [DAEMON]"))
		return TD_CONFIG_DAEMON;
	if (starts_with(line, ".SH [CGROUP]"))
		return TD_CONFIG_CGROUP;
	return NO_SECTION;
}

/* Every key entry of tieringd.conf(5), with what its paragraph says. */
static void collect_entries(const char *text, struct man *m)
{
	char line[1024], name[NAME_MAX_LEN];
	struct entry *cur = NULL;
	int section = NO_SECTION;
	bool after_tp = false;
	unsigned no = 0;

	m->n = 0;
	for (const char *p = text; p; ) {
		size_t args;

		p = next_line(p, line, sizeof(line));
		no++;
		if (starts_with(line, ".SH"))
			section = heading_section(line);
		if (starts_with(line, ".SH") || starts_with(line, ".TP"))
			cur = NULL;
		args = bold_args(line);
		if (after_tp && section != NO_SECTION && args && key_token(line + args, name)) {
			assert_true(m->n < MAX_ENTRIES);
			cur = &m->e[m->n++];
			*cur = (struct entry){ .section = section, .line = no };
			strcpy(cur->name, name);
		} else if (cur && strstr(line, "Read at start only.")) {
			cur->start_only = true;
		}
		after_tp = starts_with(line, ".TP");
	}
}

static struct man *load_entries(void)
{
	static struct man m;

	collect_entries(read_text(MAN_CONF, 0), &m);
	return &m;
}

/* Each key of the table has exactly one entry, in its section's part of the page. */
static void test_every_key_documented(void **state)
{
	const struct man *m = load_entries();
	size_t n_keys;
	const struct td_config_key *keys = td_config_keys(&n_keys);

	assert_true(n_keys > 0);
	for (size_t i = 0; i < n_keys; i++) {
		size_t found = 0;

		for (size_t j = 0; j < m->n; j++)
			found += m->e[j].section == (int)keys[i].section && !strcmp(m->e[j].name, keys[i].name);
		if (found != 1)
			fail_msg("%s: %zu entries for %s= in its [%s] part (want one: .TP, then .BI %s= ...)",
				 MAN_CONF, found, keys[i].name, td_config_section_name(keys[i].section),
				 keys[i].name);
	}
}

/* No entry documents a key the table does not have (in that section). */
static void test_only_table_keys_documented(void **state)
{
	const struct man *m = load_entries();

	for (size_t j = 0; j < m->n; j++)
		if (!td_config_key_find((enum td_config_section)m->e[j].section, m->e[j].name))
			fail_msg("%s:%u: documents %s= in [%s], which the key table does not have", MAN_CONF,
				 m->e[j].line, m->e[j].name,
				 td_config_section_name((enum td_config_section)m->e[j].section));
}

/* "Read at start only." exactly on the keys a reload does not apply. */
static void test_start_only_documented(void **state)
{
	const struct man *m = load_entries();

	for (size_t j = 0; j < m->n; j++) {
		const struct td_config_key *k =
			td_config_key_find((enum td_config_section)m->e[j].section, m->e[j].name);

		if (k && k->start_only != m->e[j].start_only)
			fail_msg("%s:%u: %s= %s \"Read at start only.\", but the key table says %s", MAN_CONF,
				 m->e[j].line, k->name, m->e[j].start_only ? "says" : "does not say",
				 k->start_only ? "start only" : "a reload applies it");
	}
}

static bool any_section_has(const char *name)
{
	return td_config_key_find(TD_CONFIG_DAEMON, name) || td_config_key_find(TD_CONFIG_CGROUP, name);
}

/* Every bold Key= in the text, in prose too, is a key of the table. */
static void check_mentions(const char *path, const char *text)
{
	char line[1024], name[NAME_MAX_LEN], *save = NULL;
	unsigned no = 0;

	for (const char *p = text; p; ) {
		size_t args;

		p = next_line(p, line, sizeof(line));
		no++;
		args = bold_args(line);
		if (!args)
			continue;
		for (char *t = strtok_r(line + args, " ", &save); t; t = strtok_r(NULL, " ", &save))
			if (key_token(t, name) && !any_section_has(name))
				fail_msg("%s:%u: mentions %s=, which the key table does not have", path, no, name);
	}
}

static void test_mentions_are_keys(void **state)
{
	check_mentions(MAN_CONF, read_text(MAN_CONF, 0));
	check_mentions(MAN_DAEMON, read_text(MAN_DAEMON, 1));
}

/* Roff escapes as the example blocks use them, undone into out. */
static void unescape(const char *s, char *out, size_t size)
{
	static const struct { const char *esc, *plain; } table[] = {
		{ "\\-", "-" }, { "\\e", "\\" }, { "\\(dq", "\"" }, { "\\&", "" }, { "\\\\", "\\" },
	};
	size_t n = 0;

	while (*s) {
		size_t i = 0;

		if (*s != '\\') {
			assert_true(n + 1 < size);
			out[n++] = *s++;
			continue;
		}
		while (i < sizeof(table) / sizeof(table[0]) && !starts_with(s, table[i].esc))
			i++;
		if (i == sizeof(table) / sizeof(table[0]))
			fail_msg("%s: unknown escape in an example: %s", MAN_CONF, s);
		assert_true(n + strlen(table[i].plain) < size);
		memcpy(out + n, table[i].plain, strlen(table[i].plain));
		n += strlen(table[i].plain);
		s += strlen(table[i].esc);
	}
	out[n] = '\0';
}

/* Each .EX block that starts with [Daemon] or [Cgroup is a tieringd.conf: it must parse. */
static void test_examples_parse(void **state)
{
	const char *text = read_text(MAN_CONF, 0);
	char line[1024], plain[1024], conf[8192];
	size_t n = 0, examples = 0;
	bool in_ex = false;

	cfg = malloc(sizeof(*cfg));
	assert_non_null(cfg);
	for (const char *p = text; p; ) {
		p = next_line(p, line, sizeof(line));
		if (starts_with(line, ".EX")) {
			in_ex = true;
			n = 0;
			conf[0] = '\0';
		} else if (in_ex && starts_with(line, ".EE")) {
			in_ex = false;
			if (!starts_with(conf, "[Daemon]") && !starts_with(conf, "[Cgroup "))
				continue;
			examples++;
			td_config_init(cfg);
			if (td_config_parse(cfg, MAN_CONF " example", conf, n))
				fail_msg("%s", cfg->errors[0]);
		} else if (in_ex) {
			unescape(line, plain, sizeof(plain));
			assert_true(n + strlen(plain) + 2 < sizeof(conf));
			n += (size_t)sprintf(conf + n, "%s\n", plain);
		}
	}
	if (!examples)
		fail_msg("%s: no tieringd.conf example (.EX block starting with [Daemon] or [Cgroup)", MAN_CONF);
}

int main(void)
{
#define T(f) cmocka_unit_test_teardown(f, teardown)
	const struct CMUnitTest tests[] = {
		T(test_every_key_documented),
		T(test_only_table_keys_documented),
		T(test_start_only_documented),
		T(test_mentions_are_keys),
		T(test_examples_parse),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
