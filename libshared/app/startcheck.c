/* SPDX-License-Identifier: MIT */
/* startcheck.c: see startcheck.h. */
#include "app/startcheck.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "route/route.h"

static int
startcheck_log(const char *key, enum conf_logdest dest, const char *path,
    char *err, size_t errlen)
{
	FILE	*fp;

	if (dest != CONF_LOGDEST_FILE || path == NULL)
		return 0;
	if ((fp = fopen(path, "a")) == NULL) {
		snprintf(err, errlen, "log.%s: cannot open log file \"%s\" "
		    "for append: %s", key, path, strerror(errno));
		return -1;
	}
	fclose(fp);
	return 0;
}

int
startcheck_logs(const struct conf_log *l, char *err, size_t errlen)
{
	/* As log_configure: loglevel none opens neither. */
	if (l->level == CONF_LOG_NONE)
		return 0;
	if (startcheck_log("error", l->error_dest, l->error_path, err,
	    errlen) == -1)
		return -1;
	return startcheck_log("access", l->access_dest, l->access_path, err,
	    errlen);
}

int
startcheck(const struct conf *c, struct conf_diag *d)
{
	struct route_table	*rt;
	const char		*name = c->path != NULL ? c->path : "config";
	char			 err[2048];
	int			 rc = 0;

	if ((rt = route_compile(c, err, sizeof(err))) == NULL) {
		conf_err(d, "%s: routing: %s", name, err);
		rc = -1;
	}
	route_free(rt);
	if (startcheck_logs(&c->log, err, sizeof(err)) == -1) {
		conf_err(d, "%s: %s", name, err);
		rc = -1;
	}
	return rc;
}
