/* SPDX-License-Identifier: MIT */
/*
 * log.h: the one logger. Error log with V2Ray's levels and line format,
 * access log with V2Ray's "accepted/rejected" lines; each to the console or
 * a buffered file, as the config's `log` object says.
 */
#ifndef LIBSHARED_LOG_H
#define LIBSHARED_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO,
	LOG_WARNING,
	LOG_ERROR,
	LOG_NONE
};

struct conf_log;
struct event_base;

/*
 * Configure from the model. Before this is called, errors go to stderr at
 * warning level. Returns 0, or -1 with errno set when a file cannot be
 * opened (the old destinations stay).
 */
int	log_configure(const struct conf_log *cl);
/* Flush buffered files every second from base's loop. */
void	log_attach(struct event_base *base);
void	log_reopen(void);	/* SIGUSR1: logrotate */
void	log_flush(void);
void	log_shutdown(void);
extern enum log_level log_min_level;

/* fn sees every warning and error line (the status page keeps some). */
void	log_set_error_hook(void (*fn)(const char *));

void	log_msg(enum log_level lvl, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_vmsg(enum log_level lvl, const char *fmt, va_list ap);

#define log_debug(...) do {						\
	if (log_min_level <= LOG_DEBUG)					\
		log_msg(LOG_DEBUG, __VA_ARGS__);			\
} while (0)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_error(...)	log_msg(LOG_ERROR, __VA_ARGS__)

/* One access line: "<from> accepted|rejected <to> [<tag>] [email: <e>]". */
void	log_access(const char *from, int accepted, const char *to,
	    const char *detour, const char *email, const char *reason);

#endif
