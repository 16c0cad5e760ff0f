/* stats.c: Wilson and normal intervals (see stats.h). */
#include "eval/stats.h"

#include <math.h>

void stats_wilson(long k, long n, double z, double *lo, double *hi)
{
    if (n <= 0) {
        *lo = *hi = 0;
        return;
    }
    double p = (double)k / (double)n, nn = (double)n, z2 = z * z;
    double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
    double half = z / (1 + z2 / nn) * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
    *lo = centre - half < 0 ? 0 : centre - half;
    *hi = centre + half > 1 ? 1 : centre + half;
}

double stats_mean_ci(long n, double sum, double sumsq, double z, double clip_lo, double clip_hi,
                     double *lo, double *hi)
{
    if (n <= 0) {
        *lo = *hi = 0;
        return 0;
    }
    double nn = (double)n, mean = sum / nn;
    if (n < 2) {
        *lo = *hi = mean;
        return mean;
    }
    double var = (sumsq - nn * mean * mean) / (nn - 1);
    double half = z * sqrt(var > 0 ? var : 0) / sqrt(nn);
    *lo = mean - half < clip_lo ? clip_lo : mean - half;
    *hi = mean + half > clip_hi ? clip_hi : mean + half;
    return mean;
}
