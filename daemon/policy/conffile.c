// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/conffile.h"

#define MAX_CONF_BYTES (1 << 20)

static void record_error(struct td_config *c, const char *path, int err)
{
	if (c->n_errors++ < TD_CONFIG_MAX_ERRORS)
		snprintf(c->errors[c->n_errors - 1], sizeof(c->errors[0]), "%s:0: %s",
			 path, strerror(err));
}

/* Reads a whole file (at most 1 MiB) and parses it into c. */
static int parse_file(struct td_config *c, const char *path, bool missing_ok)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && missing_ok)
			return 0;
		r = -errno;
		record_error(c, path, -r);
		return r;
	}
	buf = malloc(MAX_CONF_BYTES + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, MAX_CONF_BYTES + 1, f);
	r = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!r && n > MAX_CONF_BYTES)
		r = -EFBIG;
	if (r) {
		record_error(c, path, -r);
		free(buf);
		return r;
	}
	r = td_config_parse(c, path, buf, n);
	free(buf);
	return r;
}

static int conf_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && !strcmp(d->d_name + n - 5, ".conf");
}

int td_conffile_load(const char *path, bool missing_ok, struct td_config *c)
{
	struct dirent **names = NULL;
	char dir[TD_CONFIG_PATH_MAX + 8];
	int r, worst, n;

	td_config_init(c);
	worst = parse_file(c, path, missing_ok);
	if (worst == -ENOMEM)
		return worst;
	snprintf(dir, sizeof(dir), "%s.d", path);
	n = scandir(dir, &names, conf_filter, alphasort);
	if (n < 0)
		return worst;	/* no drop-in directory */
	for (int i = 0; i < n; i++) {
		char file[sizeof(dir) + 256];

		snprintf(file, sizeof(file), "%s/%s", dir, names[i]->d_name);
		r = parse_file(c, file, false);
		if (r && !worst)
			worst = r;
		free(names[i]);
	}
	free(names);
	return worst;
}

void td_conffile_print_errors(const struct td_config *c)
{
	size_t shown = c->n_errors < TD_CONFIG_MAX_ERRORS ? c->n_errors : TD_CONFIG_MAX_ERRORS;

	for (size_t i = 0; i < shown; i++)
		fprintf(stderr, "%s\n", c->errors[i]);
	if (c->n_errors > shown)
		fprintf(stderr, "(%zu more errors)\n", c->n_errors - shown);
}
