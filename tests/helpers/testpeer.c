/*  testpeer.c - a test program speaking the p2p protocol to a gateway */
#include "testpeer.h"
#include "zc_time.h"
#include "envelope.pb-c.h"
#include "p2p.pb-c.h"

#include <stdlib.h>

zsock_t *
testpeer_connect (const char *endpoint)
{
    char err [256];
    return zc_zmq_open (ZMQ_DEALER, endpoint, false, 100000, err, sizeof err);
}

int
testpeer_send (zsock_t *sock, uint32_t type, const ProtobufCMessage *body)
{
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = type };
    return zc_zmq_send (sock, NULL, 0, &header, body, 0);
}

int
testpeer_hello (zsock_t *sock, const zc_params_t *params)
{
    return testpeer_hello_listen (sock, params, NULL);
}

int
testpeer_hello_listen (zsock_t *sock, const zc_params_t *params, const char *listen)
{
    Zc__Hello hello = ZC__HELLO__INIT;
    uint8_t id [16], work [32] = { 0 };
    for (int i = 0; i < 16; i++)
        id [i] = (uint8_t) random ();
    hello.protocol = 1;
    hello.genesis.data = (uint8_t *) zc_params_genesis_hash (params)->b;
    hello.genesis.len = 32;
    hello.node_id.data = id;
    hello.node_id.len = 16;
    hello.chain_work.data = work;
    hello.chain_work.len = 32;
    hello.listen = (char *) (listen ? listen : "");
    return testpeer_send (sock, ZC__MSG_TYPE__P2P_HELLO, &hello.base);
}

int
testpeer_inv (zsock_t *sock, Zc__InvType type, const uint8_t hash [32])
{
    Zc__InvItem item = ZC__INV_ITEM__INIT, *items [1] = { &item };
    item.type = type;
    item.hash.data = (uint8_t *) hash;
    item.hash.len = 32;
    Zc__Inv inv = ZC__INV__INIT;
    inv.n_items = 1;
    inv.items = items;
    return testpeer_send (sock, ZC__MSG_TYPE__P2P_INV, &inv.base);
}

static void
s_pong (zsock_t *sock, const zc_env_t *env)
{
    Zc__Ping *ping = zc__ping__unpack (NULL, env->body_size, env->body);
    Zc__Pong pong = ZC__PONG__INIT;
    pong.nonce = ping ? ping->nonce : 0;
    testpeer_send (sock, ZC__MSG_TYPE__P2P_PONG, &pong.base);
    if (ping)
        zc__ping__free_unpacked (ping, NULL);
}

bool
testpeer_expect (zsock_t *sock, uint32_t type, int timeout_ms,
                 const ProtobufCMessageDescriptor *desc, ProtobufCMessage **body)
{
    int64_t deadline = zc_mono_ms () + timeout_ms;
    zpoller_t *poller = zpoller_new (sock, NULL);
    bool match = false;
    while (!match && zc_mono_ms () < deadline) {
        if (!zpoller_wait (poller, 200))
            continue;
        zc_frames_t frames;
        if (zc_frames_recv (sock, &frames, ZMQ_DONTWAIT))
            continue;
        zc_env_t env;
        bool ok = zc_frames_envelope (&frames, &env) == ZC_OK;
        match = ok && env.type == type;
        if (match && desc)
            *body = protobuf_c_message_unpack (desc, NULL, env.body_size, env.body);
        else
        if (ok && env.type == ZC__MSG_TYPE__P2P_PING)
            s_pong (sock, &env);        //  as a peer does: a node drops one that never answers
        zc_frames_close (&frames);
    }
    zpoller_destroy (&poller);
    return match;
}
