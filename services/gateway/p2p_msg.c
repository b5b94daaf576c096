/*  p2p_msg.c - every p2p message type described once: its name, body,
 *  size limit, whether it needs a handshake first, and its handler
 *
 *  A message from a peer is counted, checked against the peer's rate,
 *  decoded within its size limit and handed to its handler. What fails
 *  on the way is misbehaviour: a type we do not know is a protocol error,
 *  a body that does not decode is malformed, data before the handshake is
 *  a protocol error.
 */
#include "p2p_int.h"
#include "zc_block.h"
#include "zc_log.h"
#include "zc_time.h"
#include "envelope.pb-c.h"

#define HEADERS_BODY (DOWNLOAD_MAX * (ZC_HEADER_SIZE + 4) + 64)
#define INV_BODY (INV_MAX * 40)
#define ADDR_BODY (ADDR_MAX * (ADDRBOOK_ADDRESS_MAX + 64))

static const p2p_msg_t s_table [] = {
    //  type                            name           body                              limit                    after hello  bad body       handler
    { ZC__MSG_TYPE__P2P_HELLO,       "hello",       &zc__hello__descriptor,           4096,                    false, BAD_MALFORMED, p2p_on_hello },
    { ZC__MSG_TYPE__P2P_HELLO_ACK,   "hello_ack",   &zc__hello_ack__descriptor,       4096,                    false, BAD_MALFORMED, p2p_on_hello_ack },
    { ZC__MSG_TYPE__P2P_REJECT,      "reject",      &zc__reject__descriptor,          ADDR_BODY,               false, BAD_MALFORMED, p2p_on_reject },
    { ZC__MSG_TYPE__P2P_PING,        "ping",        &zc__ping__descriptor,            4096,                    true,  BAD_MALFORMED, p2p_on_ping },
    { ZC__MSG_TYPE__P2P_PONG,        "pong",        &zc__pong__descriptor,            4096,                    true,  BAD_MALFORMED, p2p_on_pong },
    { ZC__MSG_TYPE__P2P_GET_ADDR,    "get_addr",    &zc__get_addr__descriptor,        4096,                    true,  BAD_MALFORMED, p2p_on_getaddr },
    { ZC__MSG_TYPE__P2P_ADDR,        "addr",        &zc__addr__descriptor,            ADDR_BODY,               true,  BAD_MALFORMED, p2p_on_addr },
    { ZC__MSG_TYPE__P2P_INV,         "inv",         &zc__inv__descriptor,             INV_BODY,                true,  BAD_MALFORMED, p2p_on_inv },
    { ZC__MSG_TYPE__P2P_GET_DATA,    "get_data",    &zc__get_data__descriptor,        INV_BODY,                true,  BAD_MALFORMED, p2p_on_getdata },
    { ZC__MSG_TYPE__P2P_TX,          "tx",          &zc__tx_data__descriptor,         4u << 20,                true,  BAD_MALFORMED, p2p_on_txdata },
    { ZC__MSG_TYPE__P2P_BLOCK,       "block",       &zc__block_data__descriptor,      ZC_BLOCK_MAX_BYTES + 64, true,  BAD_MALFORMED, p2p_on_blockdata },
    { ZC__MSG_TYPE__P2P_NOT_FOUND,   "not_found",   &zc__not_found__descriptor,       INV_BODY,                true,  BAD_MALFORMED, p2p_on_notfound },
    { ZC__MSG_TYPE__P2P_GET_HEADERS, "get_headers", &zc__p2p_get_headers__descriptor, 70 * 40,                 true,  BAD_MALFORMED, p2p_on_get_headers },
    { ZC__MSG_TYPE__P2P_HEADERS,     "headers",     &zc__p2p_headers__descriptor,     HEADERS_BODY,            true,  BAD_MALFORMED, p2p_on_headers },
    //  a goodbye needs no handshake; its body, if any, is a Reject saying why
    { ZC__MSG_TYPE__P2P_BYE,         "bye",         &zc__reject__descriptor,          4096,                    false, BAD_MALFORMED, p2p_on_bye },
};

#define MSG_COUNT (sizeof s_table / sizeof s_table [0])

size_t
p2p_msg_count (void)
{
    return MSG_COUNT;
}

size_t
p2p_msg_index (uint32_t type)
{
    for (size_t i = 0; i < MSG_COUNT; i++)
        if (s_table [i].type == type)
            return i;
    return MSG_COUNT;
}

const p2p_msg_t *
p2p_msg_find (uint32_t type)
{
    size_t i = p2p_msg_index (type);
    return i < MSG_COUNT ? &s_table [i] : NULL;
}

const char *
p2p_msg_name (size_t i)
{
    return i < MSG_COUNT ? s_table [i].name : "other";
}

void
p2p_msg_dispatch (p2p_t *self, p2p_peer_t *peer, zc_frames_t *frames)
{
    int64_t now = zc_mono_ms ();
    size_t size = zc_frame_size (frames, frames->count - 1);
    peer->bytes_in += size;
    zc_metric_inc (self->m_bytes_in, (double) size);
    p2p_observe (self, P2P_MESSAGE, (int64_t) size);
    if (!p2p_peer_rate_ok (peer, now)) {
        p2p_misbehaved (self, peer, BAD_FLOOD, "over the message rate");
        return;
    }
    zc_env_t env;
    const p2p_msg_t *msg = NULL;
    ProtobufCMessage *body = NULL;
    zc_err_t rc = zc_frames_envelope (frames, &env);
    if (rc == ZC_OK && (env.version == 0 || env.version > ZC_PROTOCOL_VERSION)) {
        //  a newer node, or none: we cannot read it, and say so
        p2p_send_reject (self, peer, ZC_ERR_BAD_PROTOCOL, "envelope version not spoken here");
        p2p_peer_drop (self, peer, "speaks another envelope version");
        return;
    }
    if (rc == ZC_OK && !(msg = p2p_msg_find (env.type)))
        rc = ZC_ERR_BAD_PROTOCOL;
    if (rc == ZC_OK)
        rc = zc_codec_unpack (msg->desc, env.body, env.body_size, msg->max_body, &body);
    if (rc != ZC_OK) {
        p2p_bad_t bad = msg ? msg->bad_body
                      : rc == ZC_ERR_BAD_PROTOCOL ? BAD_PROTOCOL : BAD_MALFORMED;
        p2p_misbehaved (self, peer, bad, zc_err_name (rc));
        return;
    }
    zc_metric_inc (self->m_in [p2p_msg_index (env.type)], 1);
    peer->last_recv = now;
    if (peer->state == PEER_SUSPECT)
        p2p_peer_set_state (peer, PEER_ESTABLISHED);
    if (msg->after_hello && !p2p_peer_live (peer))
        p2p_misbehaved (self, peer, BAD_PROTOCOL, "a message before the handshake");
    else
        msg->handler (self, peer, body);
    protobuf_c_message_free_unpacked (body, NULL);
}
