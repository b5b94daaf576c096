/*  p2p_addr.c - addresses: what we hand out, what we take from peers, and
 *  which we dial
 */
#include "p2p_int.h"
#include "zc_log.h"
#include "zc_time.h"
#include "envelope.pb-c.h"

#include <stdlib.h>
#include <string.h>

//  Can we dial address? Well formed, and over our own transport: the nodes
//  of one process (inproc://) and those of a network (tcp://) do not mix
bool
p2p_addr_dialable (p2p_t *self, const char *address)
{
    if (!addrbook_valid (address))
        return false;
    const char *scheme_end = strstr (self->advertise, "://");
    size_t scheme = scheme_end ? (size_t) (scheme_end - self->advertise) : 0;
    return strncmp (address, self->advertise, scheme + 3) == 0;
}

size_t
p2p_addr_fill (p2p_t *self, const p2p_peer_t *peer, Zc__PeerAddress *entries, Zc__PeerAddress **ptrs)
{
    size_t n = 0, count;
    addrbook_entry_t *book = addrbook_entries (self->book, &count);
    uint64_t now = (uint64_t) zc_now_ms ();
    //  from a random place in the book, so that newcomers spread out
    size_t start = count ? (size_t) random () % count : 0;
    for (size_t k = 0; k < count && n < ADDR_REPLY; k++) {
        addrbook_entry_t *e = &book [(start + k) % count];
        if (e->self || (uint64_t) e->banned_until_ms > now || (e->failures > 2 && !e->bootstrap)
        ||  strcmp (e->address, peer->address) == 0)
            continue;
        zc__peer_address__init (&entries [n]);
        entries [n].address = e->address;
        entries [n].last_seen_ms = e->last_seen_ms;
        ptrs [n] = &entries [n];
        n++;
    }
    return n;
}

void
p2p_addr_take (p2p_t *self, p2p_peer_t *peer, Zc__PeerAddress *const *peers, size_t n)
{
    if (n > ADDR_MAX) {
        p2p_misbehaved (self, peer, BAD_MALFORMED, "too many addresses");
        return;
    }
    for (size_t i = 0; i < n; i++)
        if (peers [i]->address && strcmp (peers [i]->address, self->advertise) != 0
        &&  p2p_addr_dialable (self, peers [i]->address))
            addrbook_add (self->book, peers [i]->address, false);
}

void
p2p_on_getaddr (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    (void) body;
    Zc__PeerAddress entries [ADDR_REPLY], *ptrs [ADDR_REPLY];
    Zc__Addr msg = ZC__ADDR__INIT;
    msg.n_peers = p2p_addr_fill (self, peer, entries, ptrs);
    msg.peers = ptrs;
    p2p_send (self, peer, ZC__MSG_TYPE__P2P_ADDR, &msg.base);
}

void
p2p_on_addr (p2p_t *self, p2p_peer_t *peer, const ProtobufCMessage *body)
{
    const Zc__Addr *msg = (const Zc__Addr *) body;
    p2p_addr_take (self, peer, msg->peers, msg->n_peers);
}

// ---------------------------------------------------------------------------
//  dialling

static bool
s_connected_to (p2p_t *self, const char *address)
{
    for (int i = 0; i < self->n_peers; i++)
        if (strcmp (self->peer [i]->address, address) == 0)
            return true;
    return false;
}

static void
s_dial (p2p_t *self, addrbook_entry_t *entry)
{
    char err [256];
    char endpoint [ADDRBOOK_ADDRESS_MAX];
    snprintf (endpoint, sizeof endpoint, "%s", entry->address);
    char *key = strchr (endpoint, '#');
    if (key)
        *key++ = 0;
    if (self->cert && !key) {
        //  an encrypted network dials only addresses that carry a key
        addrbook_failed (self->book, entry, zc_mono_ms (), MAX_BACKOFF_MS);
        return;
    }
    zsock_t *dealer = zc_zmq_open_curve (ZMQ_DEALER, endpoint, false, 10000, self->cert, key,
                                         err, sizeof err);
    if (!dealer) {
        addrbook_failed (self->book, entry, zc_mono_ms (), MAX_BACKOFF_MS);
        return;
    }
    p2p_peer_t *peer = p2p_peer_new (self, false);
    if (!peer) {
        zsock_destroy (&dealer);
        return;
    }
    peer->dealer = dealer;
    snprintf (peer->address, sizeof peer->address, "%s", entry->address);
    peer->state = PEER_CONNECTING;
    zpoller_add (self->poller, dealer);
    Zc__Hello hello = ZC__HELLO__INIT;
    p2p_hello_fill (self, &hello);
    p2p_send (self, peer, ZC__MSG_TYPE__P2P_HELLO, &hello.base);
    //  the next attempt waits unless the handshake succeeds
    addrbook_failed (self->book, entry, zc_mono_ms (), MAX_BACKOFF_MS);
    entry->failures--;
}

void
p2p_addr_dial_more (p2p_t *self, int64_t now)
{
    int outbound = p2p_peer_count_dir (self, false);
    size_t count;
    addrbook_entry_t *book = addrbook_entries (self->book, &count);
    uint64_t wall = (uint64_t) zc_now_ms ();
    //  from a random place in the book: peers that all know the same
    //  addresses still pick different ones
    size_t start = count ? (size_t) random () % count : 0;
    for (size_t k = 0; k < count && outbound < self->cfg.max_outbound; k++) {
        addrbook_entry_t *e = &book [(start + k) % count];
        if (e->self || e->next_attempt_ms > now || (uint64_t) e->banned_until_ms > wall
        ||  strcmp (e->address, self->advertise) == 0 || p2p_denied (self, e->address)
        ||  s_connected_to (self, e->address))
            continue;
        s_dial (self, e);
        outbound++;
    }
}
