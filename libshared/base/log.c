/* SPDX-License-Identifier: MIT */
/*
 * log.c: error and access logs in V2Ray's line format. Files are written
 * through stdio with a large buffer and flushed once a second, so a busy
 * relay never waits on the disk inside its loop.
 */
#include "base/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <event2/event.h>

#include "conf/conf.h"

enum log_level log_min_level = LOG_WARNING;

struct log_sink {
	FILE	*fp;		/* NULL = off */
	char	*path;		/* NULL = console */
	int	 owned;
};

static struct log_sink	 err_sink = { NULL, NULL, 0 };
static struct log_sink	 acc_sink = { NULL, NULL, 0 };
static struct event	*flush_ev;
static int		 configured;

static const char *level_names[] = {
	"Debug", "Info", "Warning", "Error", "None"
};

static void
sink_close(struct log_sink *s)
{
	if (s->fp != NULL && s->owned)
		fclose(s->fp);
	s->fp = NULL;
	s->owned = 0;
	free(s->path);
	s->path = NULL;
}

static int
sink_open(struct log_sink *s, enum conf_logdest dest, const char *path)
{
	FILE	*fp;

	if (dest == CONF_LOGDEST_OFF) {
		sink_close(s);
		return 0;
	}
	if (dest == CONF_LOGDEST_CONSOLE) {
		sink_close(s);
		s->fp = stdout;
		return 0;
	}
	if ((fp = fopen(path, "a")) == NULL)
		return -1;
	setvbuf(fp, NULL, _IOFBF, 64 * 1024);
	sink_close(s);
	s->fp = fp;
	s->owned = 1;
	s->path = strdup(path);
	return 0;
}

int
log_configure(const struct conf_log *cl)
{
	struct log_sink	 ne = { NULL, NULL, 0 }, na = { NULL, NULL, 0 };

	if (sink_open(&ne, cl->level == CONF_LOG_NONE ? CONF_LOGDEST_OFF :
	    cl->error_dest, cl->error_path) == -1)
		return -1;
	if (sink_open(&na, cl->level == CONF_LOG_NONE ? CONF_LOGDEST_OFF :
	    cl->access_dest, cl->access_path) == -1) {
		sink_close(&ne);
		return -1;
	}
	sink_close(&err_sink);
	sink_close(&acc_sink);
	err_sink = ne;
	acc_sink = na;
	log_min_level = (enum log_level)cl->level;
	configured = 1;
	return 0;
}

void
log_reopen(void)
{
	struct log_sink	*sinks[] = { &err_sink, &acc_sink };
	FILE		*fp;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		if (!sinks[i]->owned || sinks[i]->path == NULL)
			continue;
		if ((fp = fopen(sinks[i]->path, "a")) == NULL) {
			log_error("cannot reopen %s: %s", sinks[i]->path,
			    strerror(errno));
			continue;
		}
		setvbuf(fp, NULL, _IOFBF, 64 * 1024);
		fclose(sinks[i]->fp);
		sinks[i]->fp = fp;
	}
}

void
log_flush(void)
{
	if (err_sink.fp != NULL)
		fflush(err_sink.fp);
	if (acc_sink.fp != NULL)
		fflush(acc_sink.fp);
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	log_flush();
}

void
log_attach(struct event_base *base)
{
	struct timeval	 tv = { 1, 0 };

	if (flush_ev != NULL)
		event_free(flush_ev);
	flush_ev = event_new(base, -1, EV_PERSIST, flush_cb, NULL);
	if (flush_ev != NULL)
		event_add(flush_ev, &tv);
}

void
log_shutdown(void)
{
	log_flush();
	if (flush_ev != NULL) {
		event_free(flush_ev);
		flush_ev = NULL;
	}
	sink_close(&err_sink);
	sink_close(&acc_sink);
}

static void
stamp(char *buf, size_t len)
{
	struct timeval	 tv;
	struct tm	 tm;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(buf, len, "%Y/%m/%d %H:%M:%S", &tm);
}

static void	(*error_hook)(const char *);

void
log_set_error_hook(void (*fn)(const char *))
{
	error_hook = fn;
}

void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	FILE	*fp;
	char	 ts[32], line[256];
	int	 saved = errno;
	va_list	 aq;

	if (error_hook != NULL && lvl >= LOG_WARNING && lvl < LOG_NONE) {
		/* Whatever the log's level or destination says. */
		va_copy(aq, ap);
		vsnprintf(line, sizeof(line), fmt, aq);
		va_end(aq);
		error_hook(line);
	}
	if (lvl < log_min_level || lvl >= LOG_NONE) {
		errno = saved;
		return;
	}
	fp = configured ? err_sink.fp : stderr;
	if (fp == NULL)
		return;
	stamp(ts, sizeof(ts));
	fprintf(fp, "%s [%s] ", ts, level_names[lvl]);
	vfprintf(fp, fmt, ap);
	fputc('\n', fp);
	if (fp == stdout || fp == stderr)
		fflush(fp);
	errno = saved;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void
log_access(const char *from, int accepted, const char *to,
    const char *detour, const char *email, const char *reason)
{
	char	 ts[32];
	FILE	*fp = acc_sink.fp;

	if (fp == NULL)
		return;
	stamp(ts, sizeof(ts));
	fprintf(fp, "%s %s %s %s", ts, from, accepted ? "accepted" :
	    "rejected", to);
	if (detour != NULL && *detour != '\0')
		fprintf(fp, " [%s]", detour);
	if (reason != NULL && *reason != '\0')
		fprintf(fp, " %s", reason);
	if (email != NULL && *email != '\0')
		fprintf(fp, " email: %s", email);
	fputc('\n', fp);
	if (fp == stdout)
		fflush(fp);
}
