/*  zc_follow.c - chain events in order: the subscription, and replays */
#include "zc_follow.h"
#include "zc_codec.h"
#include "zc_log.h"
#include "zc_zmq.h"
#include "envelope.pb-c.h"
#include "storage.pb-c.h"

#define RESET_DISTANCE 1000             //  this far behind seq: storage was reset

uint64_t
zc_follow_replay (zc_follow_t *self, uint64_t to)
{
    char err [256];
    zc_client_t *client = zc_client_new_auth (self->storage_api, self->keys, ZC_SOCK_STORAGE_API,
                                              err, sizeof err);
    uint64_t from = self->seq + 1;
    while (client && from <= to) {
        Zc__GetEvents req = ZC__GET_EVENTS__INIT;
        req.from_seq = from;
        req.max = 1;                    //  a block may be 8 MB: one per answer
        req.with_blocks = true;
        uint32_t type;
        const uint8_t *body;
        size_t size;
        zc_err_t rc = zc_client_call (client, ZC__MSG_TYPE__GET_EVENTS, &req.base, self->timeout_ms,
                                      &type, &body, &size, NULL);
        Zc__EventsReply *reply = rc == ZC_OK && type == ZC__MSG_TYPE__EVENTS_REPLY
                               ? zc__events_reply__unpack (NULL, size, body) : NULL;
        if (!reply || reply->n_events == 0) {
            zc_warn ("replay of chain event %llu failed (%s); trying again later",
                     (unsigned long long) from, rc == ZC_OK ? "no such event" : zc_err_name (rc));
            if (reply)
                zc__events_reply__free_unpacked (reply, NULL);
            break;
        }
        zc_watchdog_kick (self->watchdog);      //  a long replay is progress
        for (size_t i = 0; i < reply->n_events && from <= to; i++, from++) {
            Zc__ChainEvent *ev = zc__chain_event__unpack (NULL, reply->events [i].len,
                                                          reply->events [i].data);
            if (ev) {
                self->apply (self->arg, ev);
                zc__chain_event__free_unpacked (ev, NULL);
            }
            self->seq = from;
        }
        zc__events_reply__free_unpacked (reply, NULL);
    }
    zc_client_destroy (&client);
    return self->seq;
}

void
zc_follow_receive (zc_follow_t *self, zsock_t *sub)
{
    zc_frames_t frames;
    if (zc_frames_recv (sub, &frames, ZMQ_DONTWAIT))
        return;
    zc_env_t env;
    Zc__ChainEvent *ev = NULL;
    if (zc_frames_envelope (&frames, &env) == ZC_OK && env.type == ZC__MSG_TYPE__CHAIN_EVENT)
        zc_codec_unpack (&zc__chain_event__descriptor, env.body, env.body_size, ZC_MSG_MAX,
                         (ProtobufCMessage **) &ev);
    if (ev) {
        if (env.seq <= self->seq) {
            //  old news (replayed already), or storage was reset: follow it
            if (env.seq + RESET_DISTANCE < self->seq)
                self->seq = env.seq;
        }
        else {
            if (self->seq && env.seq > self->seq + 1) {
                zc_metric_inc (self->gaps, 1);
                zc_warn ("missed chain events %llu..%llu: replaying",
                         (unsigned long long) self->seq + 1, (unsigned long long) env.seq - 1);
                zc_follow_replay (self, env.seq - 1);
            }
            //  in order only: after a failed replay a later one catches up
            if (env.seq == self->seq + 1 || (self->seq == 0 && self->take_first)) {
                self->apply (self->arg, ev);
                self->seq = env.seq;
            }
        }
        zc__chain_event__free_unpacked (ev, NULL);
    }
    zc_frames_close (&frames);
}
