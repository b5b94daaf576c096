/*  zc_follow.h - following storage's chain events in order, gaps replayed
 *
 *  The mempool and the gateway each apply every chain event exactly once,
 *  in sequence order. Events come on a SUB socket (topic "chain"); a
 *  subscriber can miss some (ZeroMQ's slow joiner, a high-water mark, a
 *  storage restart), and then replays them from storage's api with
 *  GET_EVENTS, one event (up to an 8 MB block) per answer.
 *
 *      zc_follow_t follow = { .storage_api = ..., .keys = ..., .apply = s_apply, .arg = self };
 *      zc_follow_receive (&follow, sub);       //  from the SUB's handler
 */
#ifndef ZC_FOLLOW_H_INCLUDED
#define ZC_FOLLOW_H_INCLUDED

#include "zc_auth.h"
#include "zc_metrics.h"
#include "zc_watchdog.h"
#include "events.pb-c.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

//  Apply one chain event (borrowed for the call; it may change it meanwhile).
typedef void (zc_follow_apply_fn) (void *arg, Zc__ChainEvent *event);

typedef struct {
    //  set by the caller
    const char *storage_api;            //  where to replay from
    const zc_keys_t *keys;              //  the node's keys, or NULL
    zc_watchdog_t *watchdog;            //  kicked between replayed events, or NULL
    zc_metric_t *gaps;                  //  counts each gap found, or NULL
    int timeout_ms;                     //  per GET_EVENTS call
    bool take_first;                    //  with seq 0, apply the first event heard
    zc_follow_apply_fn *apply;
    void *arg;
    //  the state
    uint64_t seq;                       //  the last event applied (0: none yet)
} zc_follow_t;

//  Take one event off sub, if there is one, and apply it in order: a gap
//  before it is replayed first (counted and logged); an event at or below
//  seq is old news, unless it is so far below that storage was reset (seq
//  follows it then). An event that cannot be applied in order (its replay
//  failed) is left for the next event, or zc_follow_replay, to fetch again.
void
    zc_follow_receive (zc_follow_t *self, zsock_t *sub);

//  Replay and apply events seq + 1 up to to from storage. Returns: the
//  new seq (the last event applied; unchanged when storage did not answer).
uint64_t
    zc_follow_replay (zc_follow_t *self, uint64_t to);

#endif
