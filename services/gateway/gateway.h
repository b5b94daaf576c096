/*  gateway.h - the gateway actor: the node's client surface
 *
 *  Binds the client api (ROUTER: protobuf requests, relayed to storage or
 *  the mempool and answered with the caller's request id; GET_STATUS is
 *  answered here), the notification PUB (topics block.connected,
 *  block.disconnected, tx.accepted, tx.removed, each numbered) and the
 *  HTTP JSON api (http.h), and the peer-to-peer side (p2p.h).
 */
#ifndef GATEWAY_H_INCLUDED
#define GATEWAY_H_INCLUDED

#include "clients.h"
#include "p2p.h"
#include "zc_http.h"
#include "zc_service.h"

typedef struct {
    zc_service_cfg_t common;
    const char *api;
    const char *notify;
    const char *http;                   //  IPV4:PORT, or empty for none
    zc_http_limits_t http_limits;
    bool explorer;                      //  the block explorer at / of http
    const char *storage_api;
    const char *storage_events;
    const char *mempool_api;
    const char *mempool_events;
    clients_limits_t clients;           //  per client of the api
    p2p_cfg_t p2p;                      //  p2p.bind empty: no peers
} gateway_cfg_t;

extern const zc_option_t gateway_options [];

//  The actor (zactor_fn); args is a gateway_cfg_t that outlives it (the
//  actor fills in its p2p endpoints and keys). On its pipe (zc_actor.h):
//  signals 0 when up, or 1 when it could not start (an endpoint that does
//  not bind, --relay-only without --p2p, the node's p2p CURVE keys); a
//  caller in the same process reads that with zsock_wait before anything
//  else; takes $TERM and no other command; never ends on its own.
void
    gateway_actor (zsock_t *pipe, void *args);

#endif
