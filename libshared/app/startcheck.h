/* SPDX-License-Identifier: MIT */
/*
 * startcheck.h: what -test does beyond conf_check, so that a config it
 * passes also starts: routing compiled (geoip/geosite files and lists
 * found), log files opened for append. Certificates and keys are read by
 * conf_check already; nothing is bound and nothing resolved.
 */
#ifndef LIBSHARED_STARTCHECK_H
#define LIBSHARED_STARTCHECK_H

#include <stddef.h>

struct conf;
struct conf_diag;
struct conf_log;

/* Every problem goes to d, naming the file or value. 0 or -1. */
int	startcheck(const struct conf *c, struct conf_diag *d);

/*
 * Open each log file as log_configure will (append, created if absent)
 * and close it: 0, or -1 with err naming the key and the path.
 */
int	startcheck_logs(const struct conf_log *l, char *err, size_t errlen);

#endif
