/*  zc_watchdog.h - end a process whose service loop stopped making progress
 *
 *  A process that is alive but stuck (a loop spinning on one request, a
 *  deadlock) looks healthy to a supervisor that only waits for it to die.
 *  The service loop kicks the watchdog once a turn; the watchdog's thread
 *  checks that the kicks go on, and when none came for the timeout it logs
 *  one line and ends the process with exit status ZC_WATCHDOG_EXIT, so its
 *  supervisor (zchain up, Docker's restart policy, Kubernetes) starts it
 *  again. It uses _exit: a stuck process must not wait for its own exit
 *  handlers.
 *
 *      zc_watchdog_t *dog = zc_watchdog_new ("mempool", 60000);
 *      while (running) {
 *          ... one turn of the loop ...
 *          zc_watchdog_kick (dog);
 *      }
 *      zc_watchdog_destroy (&dog);
 *
 *  zc_service_main starts one for a service that runs as its own process
 *  (--watchdog SECONDS, 0 for none) and hands it to the actor in its
 *  config; an actor run as a thread of a test process has none, and
 *  kicking NULL does nothing.
 */
#ifndef ZC_WATCHDOG_H_INCLUDED
#define ZC_WATCHDOG_H_INCLUDED

#include <stdint.h>

#define ZC_WATCHDOG_EXIT 70             //  EX_SOFTWARE: the process ended itself

typedef struct _zc_watchdog_t zc_watchdog_t;

//  Start a watchdog that ends the process after timeout_ms without a kick
//  (name: what the log line calls it). NULL when timeout_ms is 0 (none
//  wanted) or the thread could not start.
zc_watchdog_t *
    zc_watchdog_new (const char *name, int64_t timeout_ms);
//  (It watches from the first kick on: a start-up, which may take long
//  with a large chain to load, is not a stuck loop; a start that hangs
//  shows as a service that never becomes ready.)

//  Stop the watchdog's thread and free it; safe on NULL.
void
    zc_watchdog_destroy (zc_watchdog_t **self_p);

//  The loop made progress. Cheap (one atomic increment); safe on NULL.
void
    zc_watchdog_kick (zc_watchdog_t *self);

#endif
