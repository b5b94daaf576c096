/*  cpu_cost.h - what the node spends per transaction, in verifications
 *
 *  zchain bench samples every service's CPU seconds at the sidecar
 *  (zchain_process_cpu_seconds_total, per instance) before and after its
 *  timed part, and measures here, in the same minutes on the same machine,
 *  the CPU time of one BIP340 verification: the node's cost per confirmed
 *  transaction as a multiple of the one verification each one needs.
 */
#ifndef ZCHAIN_CPU_COST_H_INCLUDED
#define ZCHAIN_CPU_COST_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

#define CPU_COST_INSTANCES 256
#define CPU_COST_SERVICES 8

typedef struct {
    char key [160];                     //  "service/instance"
    char service [32];
    double seconds;
} cpu_cost_series_t;

typedef struct {
    cpu_cost_series_t series [CPU_COST_INSTANCES];
    size_t n;
} cpu_cost_sample_t;

typedef struct {
    char service [32];
    double seconds;                     //  spent between the two samples
} cpu_cost_share_t;

typedef struct {
    cpu_cost_share_t share [CPU_COST_SERVICES];
    size_t n;
    double total;
} cpu_cost_spent_t;

//  Every instance's CPU seconds from the sidecar at metrics_url
//  (http://HOST:PORT). false with reason set when it does not answer.
bool
    cpu_cost_sample (const char *metrics_url, cpu_cost_sample_t *out, char *reason,
                     size_t reason_size);

//  CPU seconds spent per service between two samples: an instance new in
//  after counts from 0, one restarted (its counter lower) from its new
//  value.
void
    cpu_cost_spent (const cpu_cost_sample_t *before, const cpu_cost_sample_t *after,
                    cpu_cost_spent_t *out);

//  CPU seconds of one BIP340 verification on this machine now (the
//  median of a few rounds over distinct keys and signatures); 0 when
//  it cannot be measured.
double
    cpu_cost_verify_seconds (void);

#endif
