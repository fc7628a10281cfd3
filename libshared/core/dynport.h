/* SPDX-License-Identifier: MIT */
/*
 * dynport.h: dynamic ports (`allocate: random`, vmess.md §5.3). Every
 * refresh a new generation of `concurrency` workers listens on random
 * distinct ports of the range. A generation stops accepting once it is
 * 2 x refresh old (as 4.34) and every port of it announced to a client has
 * had its ValidMin minutes (a 4.34 client keeps each port it was given for
 * that long, whatever the refresh); its established sessions finish. A new
 * generation never takes a port a live generation holds. Unlike 4.34,
 * running out of free ports never spins: the generation is smaller (a
 * warning, once), or, with no port at all, the newest live generation
 * goes on being announced.
 */
#ifndef LIBSHARED_DYNPORT_H
#define LIBSHARED_DYNPORT_H

#include <stddef.h>
#include <stdint.h>

struct dynport;
struct inbound_rt;

/* Start generation 0 now. NULL with err when not one port could be had. */
struct dynport *dynport_new(struct inbound_rt *ib, char *err, size_t errlen);
/* Stop every generation (their sessions finish on their own). */
void	dynport_free(struct dynport *dp);

/*
 * Announce: a random worker of the newest generation, and for how many
 * whole minutes a client may use it (rest of the period, rounded up, >= 1,
 * <= 255). Its generation is promised to listen that long from now (plus a
 * few seconds for the client to read it). NULL when there is no worker.
 */
struct inbound_rt *dynport_pick(struct dynport *dp, int *valid_min);

/*
 * The announcement of `port` for valid_min minutes has just been written
 * to the client: the generation holding the port keeps it that long from
 * now. Nothing when no live generation holds it.
 */
void	dynport_promise(struct dynport *dp, uint16_t port, int valid_min);

/* The ports listening now (every live generation); returns the count. */
size_t	dynport_ports(const struct dynport *dp, uint16_t *out, size_t max);

/* Tests: the length of a ValidMin minute and the grace, in ms. */
void	dynport_set_timescale(unsigned minute_ms, unsigned grace_ms);

#endif
