/* SPDX-License-Identifier: MIT */
/*
 * cli.c: the command line every tool shares, V2Ray-compatible:
 * -c/-config FILE, -format json|ini, -test, -dump json|ini, -version, -h.
 * Exit codes suit scripts: 0 ok, 1 config error, 2 usage, 3 runtime.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/engine.h"
#include "app/quick.h"
#include "app/startcheck.h"
#include "base/log.h"
#include "base/util.h"
#include "stats/metrics.h"
#include "stats/stats.h"

#ifndef VTOOLS_VERSION
#define VTOOLS_VERSION "0.0.0"
#endif

#define GRACE_SEC	5

struct cli {
	const char	*config;
	enum conf_format format;
	bool		 test;
	const char	*dump;
	const char	*metrics;	/* -metrics ADDR */
};

static void
usage(const struct tool *t, FILE *fp)
{
	struct quick	q;

	fprintf(fp,
	    "usage: %s [-c FILE] [-format json|ini] [-test] [-dump json|ini]\n"
	    "       %s -version | -h\n"
	    "\n"
	    "%s: %s.\n"
	    "  -c, -config FILE  configuration (V2Ray JSON or vtools INI;\n"
	    "                    format from the extension or -format)\n"
	    "  -format FMT       json or ini\n"
	    "  -test             check the configuration and exit\n"
	    "  -dump FMT         print the effective configuration as json "
	    "or ini\n"
	    "  -metrics ADDR     serve counters, a status page and JSON on "
	    "ADDR\n"
	    "                    (e.g. 127.0.0.1:9100; see metrics in the "
	    "README)\n"
	    "  -version          print the version\n"
	    "exit status: 0 ok, 1 configuration error, 2 usage error,\n"
	    "             3 runtime failure (e.g. address in use)\n",
	    t->name, t->name, t->name, t->summary);
	quick_init(&q, t->name);
	quick_usage(&q, fp);
}

/* "-x", "--x", "-x=v": Go's flag syntax, as V2Ray users type it. */
static const char *
flag_name(const char *arg, const char **inline_val)
{
	const char	*eq;
	static char	 name[32];
	size_t		 n;

	*inline_val = NULL;
	if (arg[0] != '-')
		return NULL;
	arg += arg[1] == '-' ? 2 : 1;
	if ((eq = strchr(arg, '=')) != NULL) {
		n = (size_t)(eq - arg);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, arg, n);
		name[n] = '\0';
		*inline_val = eq + 1;
		return name;
	}
	return arg;
}

static int
parse_args(const struct tool *t, int argc, char **argv, struct cli *cl,
    struct quick *q)
{
	const char	*name, *val;
	char		 err[512];
	int		 i, rc;

	for (i = 1; i < argc; i++) {
		name = flag_name(argv[i], &val);
		if ((rc = quick_arg(q, name, val, argc, argv, &i, err,
		    sizeof(err))) == -1) {
			fprintf(stderr, "%s: %s\n", t->name, err);
			return -1;
		} else if (rc == 1)
			continue;
		if (name == NULL) {
			fprintf(stderr, "%s: unexpected argument: %s\n",
			    t->name, argv[i]);
			return -1;
		}
		if (strcmp(name, "test") == 0) {
			cl->test = true;
			continue;
		}
		if (strcmp(name, "version") == 0) {
			printf("%s %s (vtools, speaks V2Ray 4.34)\n", t->name,
			    VTOOLS_VERSION);
			exit(EXIT_OK);
		}
		if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0) {
			usage(t, stdout);
			exit(EXIT_OK);
		}
		if (strcmp(name, "c") != 0 && strcmp(name, "config") != 0 &&
		    strcmp(name, "format") != 0 && strcmp(name, "dump") != 0 &&
		    strcmp(name, "metrics") != 0) {
			fprintf(stderr, "%s: unknown flag: %s\n", t->name,
			    argv[i]);
			return -1;
		}
		if (val == NULL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: %s needs a value\n",
				    t->name, argv[i]);
				return -1;
			}
			val = argv[++i];
		}
		if (name[0] == 'm')
			cl->metrics = val;
		else if (name[0] == 'c') {
			if (cl->config != NULL) {
				fprintf(stderr, "%s: only one -config file is "
				    "supported\n", t->name);
				return -1;
			}
			cl->config = val;
		} else if (strcmp(val, "json") != 0 &&
		    strcmp(val, "ini") != 0) {
			fprintf(stderr, "%s: -%s takes json or ini, not %s\n",
			    t->name, name, val);
			return -1;
		} else if (name[0] == 'f')
			cl->format = val[0] == 'j' ? CONF_FMT_JSON :
			    CONF_FMT_INI;
		else
			cl->dump = val;
	}
	if (quick_finish(q, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", t->name, err);
		return -1;
	}
	return 0;
}

static void
print_diag(const struct conf_diag *d)
{
	size_t	 i;

	for (i = 0; i < d->warnings.n; i++)
		fprintf(stderr, "warning: %s\n", d->warnings.v[i]);
	for (i = 0; i < d->errors.n; i++)
		fprintf(stderr, "%s\n", d->errors.v[i]);
}

/*
 * The running program: the engine serving now, and engines retired by a
 * reload that still carry sessions (freed once they have none).
 */
static struct {
	const struct tool	*t;
	struct cli		*cl;
	struct quick		*q;
	struct event_base	*base;
	struct engine		*running;
	struct engine		*retired[8];
	size_t			 nretired;
	struct event		*grace_ev;
	struct event		*reap_ev;
	int			 rc;
	bool			 stopping;
} app;

/*
 * -metrics ADDR: the endpoint on ADDR and, when the config has no "stats"
 * object, every traffic counter on (all levels), so a quick start shows
 * traffic without writing a policy.
 */
static int
metrics_flag(struct conf *c, const char *addr, struct conf_diag *d)
{
	const char	*why = NULL;
	char		 host[64];
	uint16_t	 port;
	size_t		 i;

	if (stats_listen_parse(addr, host, sizeof(host), &port, &why) == -1) {
		conf_err(d, "-metrics %s: %s", addr, why);
		return -1;
	}
	if (!stats_host_is_loopback(host) && c->metrics.user == NULL) {
		conf_err(d, "-metrics %s: not a loopback address; give "
		    "metrics.user and metrics.password in the config to serve "
		    "it there", addr);
		return -1;
	}
	free(c->metrics.listen);
	c->metrics.listen = xstrdup(addr);
	if (!c->stats) {
		c->stats = true;
		c->stats_in_up = c->stats_in_down = true;
		c->stats_out_up = c->stats_out_down = true;
		conf_get_level(c, 0, true);
		for (i = 0; i < c->nlevels; i++)
			c->levels[i].stats_user_up =
			    c->levels[i].stats_user_down = true;
	}
	return 0;
}

/* Config file (if any) plus quick flags, checked for this tool. */
static struct conf *
app_load(struct conf_diag *d)
{
	struct conf	*c = xcalloc(1, sizeof(*c));
	int		 rc;

	conf_init(c);
	/* A config file is the base; the quick flags add to it. */
	rc = app.cl->config != NULL ? conf_load(app.cl->config,
	    app.cl->format, c, d) : 0;
	if (rc == 0)
		rc = quick_apply(app.q, c, d);
	if (rc == 0 && app.cl->metrics != NULL)
		rc = metrics_flag(c, app.cl->metrics, d);
	if (rc == 0)
		rc = engine_check_tool(app.t, c, d);
	/*
	 * What start does short of binding (geo files, log files), so that
	 * -test predicts it and a reload that would fail keeps the old
	 * configuration; -dump only prints.
	 */
	if (rc == 0 && app.cl->dump == NULL)
		rc = startcheck(c, d);
	if (rc != 0) {
		conf_cleanup(c);
		free(c);
		return NULL;
	}
	return c;
}

static size_t
live_sessions(void)
{
	size_t	 i, n = app.running->nsessions;

	for (i = 0; i < app.nretired; i++)
		n += app.retired[i]->nsessions;
	return n;
}

static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	size_t	 i = 0;

	while (i < app.nretired) {
		if (app.retired[i]->nsessions > 0) {
			i++;
			continue;
		}
		engine_free(app.retired[i]);
		app.retired[i] = app.retired[--app.nretired];
	}
}

static void
grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct timeval		 tv = { 0, 100 * 1000 };
	static int		 ticks;

	if (live_sessions() == 0 || ++ticks >= GRACE_SEC * 10) {
		event_base_loopexit(app.base, NULL);
		return;
	}
	evtimer_add(app.grace_ev, &tv);
}

static void
begin_stop(void)
{
	size_t	 i;

	app.stopping = true;
	app.running->stopping = true;
	engine_stop_listening(app.running);
	for (i = 0; i < app.nretired; i++)
		app.retired[i]->stopping = true;
	app.grace_ev = evtimer_new(app.base, grace_cb, NULL);
	grace_cb(-1, 0, NULL);
}

/*
 * SIGHUP: build the new configuration beside the old one; only when it
 * loads and checks does it replace the old listeners. Established
 * sessions finish on the engine they started on.
 */
static void
reload(void)
{
	struct conf_diag	 d;
	struct conf		*c;
	struct engine		*e;
	char			 err[512];
	size_t			 i;
	uint64_t		 t0 = util_now_ms();

	conf_diag_init(&d);
	c = app_load(&d);
	for (i = 0; i < d.warnings.n; i++)
		log_warn("reload: %s", d.warnings.v[i]);
	for (i = 0; i < d.errors.n; i++)
		log_error("reload: %s", d.errors.v[i]);
	conf_diag_cleanup(&d);
	if (c == NULL) {
		log_error("reload: the configuration has errors; the running "
		    "one stays");
		return;
	}
	if (app.nretired == sizeof(app.retired) / sizeof(app.retired[0])) {
		log_error("reload: too many reloads still finishing; the "
		    "running configuration stays");
		conf_cleanup(c);
		free(c);
		return;
	}
	engine_stop_listening(app.running);
	if ((e = engine_new_from(app.t, app.base, c, app.running, err,
	    sizeof(err))) == NULL) {
		/*
		 * The old listeners are closed already and the new ones
		 * cannot open (an address taken meanwhile): stop with the
		 * runtime-failure status so a supervisor restarts us.
		 */
		log_error("reload: %s; stopping", err);
		app.rc = EXIT_RUNTIME;
		begin_stop();
		return;
	}
	if (log_configure(&e->conf->log) == -1)
		log_error("reload: cannot open the new log files: %s; the old "
		    "ones stay", strerror(errno));
	app.retired[app.nretired++] = app.running;
	app.running = e;
	stats_set_engine(e);
	stats_reload(e->conf);
	if (metrics_configure(app.base, e->conf, err, sizeof(err)) == -1)
		log_error("reload: %s; the counters are not served", err);
	log_warn("configuration reloaded in %llu ms; %zu sessions finish on "
	    "the old one", (unsigned long long)(util_now_ms() - t0),
	    live_sessions() - e->nsessions);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	switch (sig) {
	case SIGINT:
	case SIGTERM:
		if (app.stopping) {
			event_base_loopexit(app.base, NULL);
			return;
		}
		log_warn("signal %d: stop accepting, %zu sessions finishing",
		    (int)sig, live_sessions());
		begin_stop();
		break;
	case SIGUSR1:
		log_reopen();
		break;
	case SIGUSR2:
		stats_log_dump();
		break;
	case SIGHUP:
		if (!app.stopping)
			reload();
		break;
	}
}

int
app_main(const struct tool *t, int argc, char **argv)
{
	struct cli		 cl = { NULL, CONF_FMT_AUTO, false, NULL, NULL };
	struct conf		*c;
	struct conf_diag	 d;
	struct quick		 q;
	struct event		*sigs[5];
	static const int	 signums[5] = { SIGINT, SIGTERM, SIGHUP,
				    SIGUSR1, SIGUSR2 };
	struct timeval		 reap_tv = { 1, 0 };
	char			 err[512];
	int			 i, rc;

	quick_init(&q, t->name);
	if (parse_args(t, argc, argv, &cl, &q) == -1) {
		usage(t, stderr);
		quick_free(&q);
		return EXIT_USAGE;
	}
	if (q.want_uuid) {
		rc = quick_uuid_new(err);
		if (rc == 0)
			printf("%s\n", err);
		quick_free(&q);
		return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
	}
	if (cl.config == NULL && !q.any) {
		if (access("config.json", R_OK) == 0)
			cl.config = "config.json";
		else {
			fprintf(stderr, "%s: no configuration: give -c FILE\n",
			    t->name);
			usage(t, stderr);
			quick_free(&q);
			return EXIT_USAGE;
		}
	}
	app.t = t;
	app.cl = &cl;
	app.q = &q;
	conf_diag_init(&d);
	c = app_load(&d);
	print_diag(&d);
	conf_diag_cleanup(&d);
	if (c == NULL) {
		if (!cl.test)
			fprintf(stderr, "%s: configuration not loaded\n",
			    t->name);
		quick_free(&q);
		return EXIT_CONFIG;
	}
	if (cl.test || cl.dump != NULL) {
		if (cl.dump != NULL && cl.dump[0] == 'j')
			conf_dump_json(c, stdout);
		else if (cl.dump != NULL)
			conf_dump_ini(c, stdout);
		else
			printf("Configuration OK.\n");
		conf_cleanup(c);
		free(c);
		quick_free(&q);
		return EXIT_OK;
	}
	signal(SIGPIPE, SIG_IGN);
	/*
	 * libevent allocates and frees large buffers all the time: without
	 * these glibc shrinks and regrows the heap every ~128 KiB relayed,
	 * ~11 % of a busy server's CPU in page faults.
	 */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	if (log_configure(&c->log) == -1) {
		/* Name the file: opening each again says which one fails. */
		snprintf(err, sizeof(err), "cannot open log file: %s",
		    strerror(errno));
		startcheck_logs(&c->log, err, sizeof(err));
		fprintf(stderr, "%s: %s\n", t->name, err);
		conf_cleanup(c);
		free(c);
		quick_free(&q);
		return EXIT_RUNTIME;
	}
	app.base = event_base_new();
	stats_init(t->name);
	if ((app.running = engine_new(t, app.base, c, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "%s: %s\n", t->name, err);
		log_error("%s", err);
		log_shutdown();
		event_base_free(app.base);
		quick_free(&q);
		return EXIT_RUNTIME;
	}
	stats_set_engine(app.running);
	if (metrics_configure(app.base, app.running->conf, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", t->name, err);
		log_error("%s", err);
		engine_free(app.running);
		log_shutdown();
		event_base_free(app.base);
		quick_free(&q);
		return EXIT_RUNTIME;
	}
	for (i = 0; i < 5; i++) {
		sigs[i] = evsignal_new(app.base, signums[i], signal_cb, NULL);
		evsignal_add(sigs[i], NULL);
	}
	app.reap_ev = event_new(app.base, -1, EV_PERSIST, reap_cb, NULL);
	event_add(app.reap_ev, &reap_tv);
	quick_print_links(&q, stdout, stderr);
	log_warn("%s %s started", t->name, VTOOLS_VERSION);
	event_base_dispatch(app.base);
	while (app.nretired > 0)
		engine_free(app.retired[--app.nretired]);
	metrics_stop();
	stats_set_engine(NULL);
	engine_free(app.running);
	for (i = 0; i < 5; i++)
		event_free(sigs[i]);
	event_free(app.reap_ev);
	if (app.grace_ev != NULL)
		event_free(app.grace_ev);
	quick_free(&q);
	log_shutdown();
	event_base_free(app.base);
	return app.rc;
}
