/*  p2p_addr.c - addresses: what we hand out, what we take from peers, and
 *  which we dial
 */
#include "p2p_int.h"
#include "zc_log.h"
#include "zc_time.h"
#include "envelope.pb-c.h"

#include <stdlib.h>
#include <string.h>

//  Where a host is: what a peer names is dialled only in ranges we are in
//  ourselves (a node on a private network may dial its neighbours; a public
//  node is never made to dial into someone's private network)
typedef enum { HOST_PUBLIC, HOST_LOOPBACK, HOST_PRIVATE, HOST_NAMED, HOST_NONE } s_host_t;

static s_host_t
s_host_class (const char *address)
{
    if (strncmp (address, "tcp://", 6) != 0)
        return HOST_NONE;               //  inproc: the nodes of one process
    const char *host = address + 6;
    const char *colon = strchr (host, ':');
    size_t len = colon ? (size_t) (colon - host) : strlen (host);
    char text [64];
    if (len == 0 || len >= sizeof text)
        return HOST_NAMED;
    memcpy (text, host, len);
    text [len] = 0;
    unsigned a, b, c, d;
    char rest;
    if (sscanf (text, "%u.%u.%u.%u%c", &a, &b, &c, &d, &rest) != 4 || a > 255 || b > 255
    ||  c > 255 || d > 255)
        return strcmp (text, "localhost") == 0 ? HOST_LOOPBACK : HOST_NAMED;
    if (a == 127)
        return HOST_LOOPBACK;
    if (a == 10 || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168)
    ||  (a == 169 && b == 254) || (a == 100 && b >= 64 && b <= 127) || a == 0 || a >= 224)
        return HOST_PRIVATE;            //  private, link-local, shared, this-net, multicast
    return HOST_PUBLIC;
}

//  May we dial a host of this class, being where we are?
static bool
s_range_allowed (p2p_t *self, s_host_t host)
{
    if (host == HOST_PUBLIC || host == HOST_NONE || self->cfg.allow_private)
        return true;
    s_host_t mine = s_host_class (self->advertise);
    if (host == HOST_LOOPBACK)
        return mine == HOST_LOOPBACK;
    //  a private or named host: when we are on a private network (by
    //  address or by name) ourselves
    return mine == HOST_PRIVATE || mine == HOST_NAMED;
}

//  Can we dial address? Well formed, over our own transport (the nodes of
//  one process, inproc://, and those of a network, tcp://, do not mix), and
//  in a range we may dial
bool
p2p_addr_dialable (p2p_t *self, const char *address)
{
    if (!addrbook_valid (address))
        return false;
    const char *scheme_end = strstr (self->advertise, "://");
    size_t scheme = scheme_end ? (size_t) (scheme_end - self->advertise) : 0;
    return strncmp (address, self->advertise, scheme + 3) == 0
        && s_range_allowed (self, s_host_class (address));
}

//  Seen answering: a handshake with it succeeded once, or the operator named it
static bool
s_verified (const addrbook_entry_t *entry)
{
    return entry->last_seen_ms != 0 || entry->bootstrap;
}

void
p2p_addr_dial_failed (p2p_t *self, const char *address)
{
    addrbook_entry_t *entry = addrbook_find (self->book, address);
    if (entry && !s_verified (entry) && !entry->self)
        addrbook_remove (self->book, entry);
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
    for (size_t i = 0; i < n; i++) {
        const char *address = peers [i]->address;
        if (!address || !*address || strcmp (address, self->advertise) == 0)
            continue;
        if (p2p_addr_dialable (self, address))
            addrbook_add (self->book, address, false);
        else
            zc_metric_inc (self->m_addr_refused, 1);
    }
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
    //  one connection attempt: ZeroMQ's own reconnection would knock on a
    //  closed door ten times a second until the handshake times out
    zsock_t *dealer = zc_zmq_dial (endpoint, 10000, self->cert, key, err, sizeof err);
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

//  A token to dial an address nobody has seen answering: a peer that hands
//  us a thousand addresses makes us dial NEW_DIAL_RATE a second, not all
static bool
s_new_dial_ok (p2p_t *self, int64_t now)
{
    self->dial_tokens += (double) (now - self->dial_at) * NEW_DIAL_RATE / 1000.0;
    if (self->dial_tokens > NEW_DIAL_BURST)
        self->dial_tokens = NEW_DIAL_BURST;
    self->dial_at = now;
    if (self->dial_tokens < 1.0)
        return false;
    self->dial_tokens -= 1.0;
    return true;
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
        //  what a peer told us (or an older book holds) is dialled only in
        //  our ranges, and new addresses only at a bounded rate
        if (!e->bootstrap && !s_range_allowed (self, s_host_class (e->address)))
            continue;
        if (!s_verified (e) && !s_new_dial_ok (self, now))
            continue;
        s_dial (self, e);
        outbound++;
    }
}

//  Addresses otherwise travel only in the answer to the GetAddr of a new
//  link: a node knows those who joined before it, not those who came
//  later, and loses the network when the peers it met go. So while a node
//  has outbound slots free it asks one live peer, picked at random, every
//  ADDR_REFRESH_MS (what it costs the peer: one Addr of at most ADDR_REPLY)
void
p2p_addr_refresh (p2p_t *self, int64_t now)
{
    if (now < self->addr_refresh_at)
        return;
    self->addr_refresh_at = now + ADDR_REFRESH_MS;
    if (p2p_peer_count_dir (self, false) >= self->cfg.max_outbound)
        return;
    int live = 0;
    for (int i = 0; i < self->n_peers; i++)
        live += p2p_peer_live (self->peer [i]);
    if (live == 0)
        return;
    int pick = (int) (random () % live);
    for (int i = 0; i < self->n_peers; i++) {
        p2p_peer_t *peer = self->peer [i];
        if (p2p_peer_live (peer) && pick-- == 0) {
            Zc__GetAddr get = ZC__GET_ADDR__INIT;
            p2p_send (self, peer, ZC__MSG_TYPE__P2P_GET_ADDR, &get.base);
            return;
        }
    }
}
