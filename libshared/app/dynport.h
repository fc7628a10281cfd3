/* SPDX-License-Identifier: MIT */
/*
 * dynport.h: dynamic ports (`allocate: random`, vmess.md §5.3). Every
 * refresh a new generation of `concurrency` workers listens on random
 * distinct ports of the range; each generation stops accepting 2 x refresh
 * after it started, while its established sessions finish. Unlike 4.34,
 * running out of free ports never spins: the generation is smaller.
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
 * A random worker of the newest generation, and for how many whole
 * minutes a client may use it (rest of the period, rounded up, >= 1,
 * <= 255). NULL when the generation has no worker.
 */
struct inbound_rt *dynport_pick(struct dynport *dp, int *valid_min);

/* The ports listening now (every live generation); returns the count. */
size_t	dynport_ports(const struct dynport *dp, uint16_t *out, size_t max);

#endif
