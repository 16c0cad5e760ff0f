/* stats.h: the few statistics evaluation reports need: 95% intervals for a
 * proportion (Wilson score) and for a mean (normal approximation), and the
 * standard error of a win rate. Pure functions, no allocation. */
#ifndef VIDEOGO_EVAL_STATS_H
#define VIDEOGO_EVAL_STATS_H

#define STATS_Z95 1.959963984540054

/* Wilson score interval for k successes out of n at confidence z (STATS_Z95): writes
 * [lo, hi] (both 0 when n == 0). Behaves well at k = 0 and k = n, unlike p ± z*se. */
void stats_wilson(long k, long n, double z, double *lo, double *hi);

/* Mean of n values given their sum and sum of squares, with the normal interval
 * mean ± z * sd / sqrt(n) (sd with n - 1 in the denominator), clipped to [clip_lo,
 * clip_hi]. Returns the mean; lo = hi = mean when n < 2. */
double stats_mean_ci(long n, double sum, double sumsq, double z, double clip_lo, double clip_hi,
                     double *lo, double *hi);

#endif
