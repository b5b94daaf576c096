/*  zc_time.h - wall-clock and monotonic milliseconds */
#ifndef ZC_TIME_H_INCLUDED
#define ZC_TIME_H_INCLUDED

#include <stdint.h>

//  Milliseconds since the Unix epoch (deadlines, block times).
int64_t
    zc_now_ms (void);

//  Milliseconds of a monotonic clock (timers, latencies); never jumps.
int64_t
    zc_mono_ms (void);

//  Microseconds of the same monotonic clock.
int64_t
    zc_mono_us (void);

#endif
