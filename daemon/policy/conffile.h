/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * conffile.h - reads tieringd.conf and its drop-ins (PATH.d/NAME.conf, in name
 * order; for /etc/tieringd.conf that is /etc/tieringd.conf.d/) into a
 * struct td_config (lib/config.c parses).
 */
#ifndef TIERINGD_CONFFILE_H
#define TIERINGD_CONFFILE_H

#include <stdbool.h>

#include "config.h"

#define TD_DEFAULT_CONFIG "/etc/tieringd.conf"

/*
 * Initialises c to defaults and parses path, then the drop-ins. A missing
 * main file is fine when missing_ok (defaults apply), an error otherwise.
 * Returns 0, -EINVAL when any file had errors (in c->errors), or another
 * negative errno when a file could not be read (also recorded in c->errors).
 */
int td_conffile_load(const char *path, bool missing_ok, struct td_config *c);

/* Prints c->errors to stderr, one "FILE:LINE: message" per line. */
void td_conffile_print_errors(const struct td_config *c);

#endif
