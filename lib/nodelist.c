// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodelist.h"

/* One "N" or "N-M" of a list, into *mask; the end of it in *end. */
static int range(const char *s, const char **end, uint64_t *mask)
{
	char *e;
	unsigned long a = strtoul(s, &e, 10), b = a;

	if (e == s)
		return -EINVAL;
	if (*e == '-') {
		s = e + 1;
		b = strtoul(s, &e, 10);
		if (e == s || b < a)
			return -EINVAL;
	}
	for (unsigned long n = a; n <= b && n < 64; n++)
		*mask |= UINT64_C(1) << n;
	*end = e;
	return 0;
}

int td_nodelist_parse(const char *s, uint64_t *ret_mask)
{
	uint64_t mask = 0;

	for (;;) {
		if (range(s, &s, &mask) < 0)
			return -EINVAL;
		if (*s != ',')
			break;
		s++;
	}
	if (*s && *s != '\n' && *s != ' ')
		return -EINVAL;
	*ret_mask = mask;
	return 0;
}

int td_placement_mems_allowed(const char *status_text, uint64_t *ret_mask)
{
	static const char key[] = "Mems_allowed_list:";
	const char *p = strstr(status_text, key);

	if (!p)
		return -ENOENT;
	p += sizeof(key) - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	return td_nodelist_parse(p, ret_mask);
}

/* Policies that keep pages on their nodes; the node list follows ':'. */
static const char *const binding[] = { "bind", "interleave", "weighted interleave" };

bool td_placement_policy_line(const char *line, uint64_t *ret_start, uint64_t *ret_mask)
{
	const char *pol, *colon;
	char *e;

	*ret_start = strtoull(line, &e, 16);
	if (e == line || *e != ' ')
		return false;
	pol = e + 1;
	colon = strchr(pol, ':');
	if (!colon)
		return false;
	for (size_t i = 0; i < sizeof(binding) / sizeof(binding[0]); i++) {
		size_t n = strlen(binding[i]);

		/* "bind:0-1" or with flags: "bind=static:0-1" */
		if (!strncmp(pol, binding[i], n) && (pol[n] == ':' || pol[n] == '='))
			return td_nodelist_parse(colon + 1, ret_mask) == 0;
	}
	return false;
}

bool td_placement_maps_line(const char *line, uint64_t *ret_start, uint64_t *ret_end)
{
	char *e;

	*ret_start = strtoull(line, &e, 16);
	if (e == line || *e != '-')
		return false;
	line = e + 1;
	*ret_end = strtoull(line, &e, 16);
	return e != line && *ret_end > *ret_start;
}
