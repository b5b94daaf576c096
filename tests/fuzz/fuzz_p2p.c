/*  fuzz_p2p.c - libFuzzer: a hostile peer's messages through the whole p2p
 *  module (the message table, handshake, relay, sync, addresses), as a
 *  gateway with storage and the mempool behind it (their sockets bound
 *  here and drained: what the module asks of them is read and dropped)
 *
 *  An input is a run of messages: [type][version][length, 2 bytes LE][body].
 *  The type byte picks a p2p message type (or, past the table, an unknown
 *  one); the version byte, when odd, sends the envelope in version 2. The
 *  module must never crash or leak, and its bounds must hold after each
 *  input: ids being fetched, each peer's backlog.
 */
#include "p2p_int.h"
#include "zc_log.h"
#include "zc_time.h"
#include "envelope.pb-c.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static p2p_t *s_p2p;
static zpoller_t *s_poller;
static zc_metrics_t *s_metrics;
static zsock_t *s_storage;
static zsock_t *s_mempool;
static p2p_cfg_t s_cfg;

static const uint32_t s_types [] = {
    ZC__MSG_TYPE__P2P_HELLO, ZC__MSG_TYPE__P2P_HELLO_ACK, ZC__MSG_TYPE__P2P_REJECT,
    ZC__MSG_TYPE__P2P_PING, ZC__MSG_TYPE__P2P_PONG, ZC__MSG_TYPE__P2P_GET_ADDR,
    ZC__MSG_TYPE__P2P_ADDR, ZC__MSG_TYPE__P2P_INV, ZC__MSG_TYPE__P2P_GET_DATA,
    ZC__MSG_TYPE__P2P_TX, ZC__MSG_TYPE__P2P_BLOCK, ZC__MSG_TYPE__P2P_NOT_FOUND,
    ZC__MSG_TYPE__P2P_GET_HEADERS, ZC__MSG_TYPE__P2P_HEADERS, ZC__MSG_TYPE__P2P_BYE,
    ZC__MSG_TYPE__SUBMIT_TXS            //  not a p2p type
};

static void
s_start (void)
{
    zsys_init ();
    zsys_set_logstream (NULL);
    zc_log_set_level (ZC_LOG_ERROR);
    char err [256];
    s_storage = zc_zmq_open (ZMQ_ROUTER, "inproc://fuzz-storage", true, 100000, err, sizeof err);
    s_mempool = zc_zmq_open (ZMQ_ROUTER, "inproc://fuzz-mempool", true, 100000, err, sizeof err);
    s_poller = zpoller_new (NULL);
    s_metrics = zc_metrics_new ("gateway", "fuzz");
    s_cfg.bind = "inproc://fuzz-p2p";
    s_cfg.storage_api = "inproc://fuzz-storage";
    s_cfg.mempool_api = "inproc://fuzz-mempool";
    s_cfg.peers_file = "";
    s_cfg.max_inbound = 8;
    s_cfg.max_outbound = 0;
    s_cfg.ping_interval_ms = 2000;
    s_cfg.ping_timeout_ms = 10000;
    s_cfg.ban_seconds = 1;
    s_p2p = p2p_new (&s_cfg, zc_params_by_name ("regtest"), s_poller, s_metrics, err, sizeof err);
    assert (s_storage && s_mempool && s_p2p);
}

//  Read and drop what the module sent storage and the mempool
static void
s_drain (void)
{
    zsock_t *socks [2] = { s_storage, s_mempool };
    for (int i = 0; i < 2; i++) {
        zc_frames_t frames;
        while (zc_frames_recv (socks [i], &frames, ZMQ_DONTWAIT) == 0)
            zc_frames_close (&frames);
    }
}

static p2p_peer_t *
s_fake_peer (bool established)
{
    p2p_peer_t *peer = p2p_peer_new (s_p2p, true);
    if (!peer)
        return NULL;
    memcpy (peer->identity, "fuzz", 4);
    peer->identity_size = 4;
    snprintf (peer->ip, sizeof peer->ip, "10.0.0.1");
    peer->state = established ? PEER_ESTABLISHED : PEER_HANDSHAKING;
    if (established) {
        memset (peer->node_id, 0x42, NODE_ID_SIZE);
        peer->has_id = true;
    }
    return peer;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_p2p)
        s_start ();
    if (size < 1)
        return 0;
    p2p_peer_t *peer = s_fake_peer (data [0] & 1);
    if (!peer)
        return 0;
    uint64_t serial = peer->serial;
    size_t at = 1;
    while (at + 4 <= size) {
        uint32_t type = s_types [data [at] % (sizeof s_types / sizeof s_types [0])];
        uint32_t version = data [at + 1] & 1 ? 2 : ZC_PROTOCOL_VERSION;
        size_t len = (size_t) data [at + 2] | (size_t) data [at + 3] << 8;
        at += 4;
        if (len > size - at)
            len = size - at;
        zc_env_t header = { .version = version, .type = type, .body = data + at, .body_size = len };
        size_t packed = zc_env_encoded_size (&header);
        zc_frames_t frames = { .count = 1 };
        zmq_msg_init_size (&frames.frame [0], packed);
        zc_env_encode (&header, zmq_msg_data (&frames.frame [0]));
        p2p_msg_dispatch (s_p2p, peer, &frames);
        zc_frames_close (&frames);
        at += len;
        if (!(peer = p2p_peer_by_serial (s_p2p, serial)))
            break;                      //  dropped or banned: the rest is not read
    }
    p2p_tick (s_p2p);
    s_drain ();
    //  the bounds hold whatever was sent
    assert (p2p_fetch_count (&s_p2p->seen) <= FETCH_MAX);
    for (int i = 0; i < s_p2p->n_peers; i++) {
        assert (s_p2p->peer [i]->backlog_count <= GETDATA_BACKLOG);
        assert (s_p2p->peer [i]->fetching >= 0 && s_p2p->peer [i]->fetching <= FETCH_PER_PEER);
    }
    if ((peer = p2p_peer_by_serial (s_p2p, serial)))
        p2p_peer_drop (s_p2p, peer, "end of input");
    return 0;
}
