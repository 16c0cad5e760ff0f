/* util.h: the two tiers of errors (STYLE.md 5) and small helpers.
 *
 * die()/xmalloc() are for programs and loaders: they exit with file:line and a hint.
 * Code reachable from GTP or SGF input never calls them; it returns a status.
 */
#ifndef VIDEOGO_UTIL_H
#define VIDEOGO_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

noreturn void die_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define die(...) die_at(__FILE__, __LINE__, __VA_ARGS__)

void *xmalloc_at(const char *file, int line, size_t n);
void *xcalloc_at(const char *file, int line, size_t n, size_t size);
void *xrealloc_at(const char *file, int line, void *p, size_t n);
#define xmalloc(n) xmalloc_at(__FILE__, __LINE__, (n))
#define xcalloc(n, s) xcalloc_at(__FILE__, __LINE__, (n), (s))
#define xrealloc(p, n) xrealloc_at(__FILE__, __LINE__, (p), (n))

/* splitmix64 / xoshiro256** : small, seedable, reproducible RNG with no global state. */
typedef struct { uint64_t s[4]; } rng_t;
void rng_seed(rng_t *r, uint64_t seed);
uint64_t rng_next(rng_t *r);
uint32_t rng_below(rng_t *r, uint32_t n);   /* uniform in [0, n) */
double rng_uniform(rng_t *r);               /* uniform in [0, 1) */
uint64_t splitmix64(uint64_t x);

/* Monotonic wall clock and process CPU time in seconds. */
double time_wall(void);
double time_cpu(void);

#endif
