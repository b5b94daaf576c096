/*  clients.h - the gateway's client api, bounded per client
 *
 *  Every client (a ROUTER identity) may have at most in_flight requests
 *  waiting for the node, and at most queue_bytes of replies that may not
 *  have reached it yet: those it was sent in the last couple of seconds,
 *  those waiting in our own queue (a reply ZeroMQ could not take at once),
 *  and what the replies of its requests in flight can be, reserved by
 *  request type when the request arrives. Past either bound its requests
 *  are refused `busy`, each refusal counted by reason; all clients together
 *  hold at most total_bytes. ZeroMQ itself keeps at most CLIENTS_HWM
 *  replies per client; what it cannot take waits in the client's queue,
 *  and a client whose queue does not move for CLIENTS_STALL_MS is a client
 *  that does not read: its queue is dropped (counted) and it is refused for
 *  a while.
 *
 *  A ROUTER cannot close one connection, so a client that never reads
 *  keeps up to CLIENTS_HWM + 1 replies in ZeroMQ's buffers for as long as
 *  it stays connected; the rest of the bound is ours.
 */
#ifndef GATEWAY_CLIENTS_H_INCLUDED
#define GATEWAY_CLIENTS_H_INCLUDED

#include "zc_err.h"
#include "zc_metrics.h"
#include "zc_zmq.h"

#include <czmq.h>
#include <stdbool.h>
#include <stdint.h>

#define CLIENTS_HWM 16                  //  replies ZeroMQ holds per client (the api socket's SNDHWM)
#define CLIENTS_MAX 4096                //  clients with state at once
#define CLIENTS_QUEUE_MAX 1024          //  replies queued for one client, at most
#define CLIENTS_STALL_MS 30000          //  a queue that does not move for this long: not reading
#define CLIENTS_RECENT_MS 2000          //  a reply sent this long ago counts as read

typedef struct _clients_t clients_t;

typedef struct {
    int64_t in_flight;                  //  requests per client waiting for the node
    int64_t queue_bytes;                //  reply bytes per client (sent lately, queued, reserved)
    int64_t total_bytes;                //  the same, over all clients
} clients_limits_t;

//  Bookkeeping for the client api ROUTER sock (the caller owns it; it
//  should be opened with a send high-water mark of CLIENTS_HWM), counted in
//  metrics.
clients_t *
    clients_new (zsock_t *sock, const clients_limits_t *limits, zc_metrics_t *metrics);

void
    clients_destroy (clients_t **self_p);

//  A request of type with a body of body_size arrived from identity: ZC_OK
//  when it may go to the node (the client's in-flight count and reserve
//  grow by *reserve_p: answer it with clients_reply or clients_fail, giving
//  that reserve back), ZC_ERR_BUSY when a bound says no (answer that with
//  clients_error).
zc_err_t
    clients_admit (clients_t *self, const uint8_t *id, size_t id_size, uint32_t type,
                   size_t body_size, size_t *reserve_p);

//  The node answered an admitted request: send header and body to the
//  client (or queue them while ZeroMQ cannot take them); ends the request.
void
    clients_reply (clients_t *self, const uint8_t *id, size_t id_size, size_t reserve,
                   const zc_env_t *header, const uint8_t *body, size_t body_size);

//  An admitted request ends without the node's answer (timed out): the
//  client hears reason and detail.
void
    clients_fail (clients_t *self, const uint8_t *id, size_t id_size, size_t reserve,
                  uint64_t request_id, zc_err_t reason, const char *detail);

//  An error the gateway answers itself (a refusal): small; queued behind
//  the client's other replies when ZeroMQ cannot take it, up to
//  CLIENTS_QUEUE_MAX replies a client, else dropped and counted.
void
    clients_error (clients_t *self, const uint8_t *id, size_t id_size, uint64_t request_id,
                   zc_err_t reason, const char *detail);

//  Hand queued replies to ZeroMQ; true while some are still waiting (call
//  again soon).
bool
    clients_flush (clients_t *self);

//  Once a second: forget idle clients, drop the queues of those that do
//  not read, update the gauges.
void
    clients_tick (clients_t *self);

#endif
