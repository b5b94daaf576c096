/*  p2p_seen.c - ids we have seen (not fetched again), and ids being
 *  fetched: from whom, with whom to ask next when that peer does not
 *  deliver in time or delivers a body that fails its own checks
 */
#include "p2p_int.h"
#include "zc_hashkey.h"
#include "zc_time.h"

#include <stdlib.h>
#include <string.h>

static const int64_t s_wait_ms [FETCH_LISTS] = { FETCH_TX_MS, FETCH_BLOCK_MS, FETCH_VERDICT_MS };

int
p2p_seen_init (p2p_seen_t *seen)
{
    memset (seen, 0, sizeof *seen);
    seen->seen = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    seen->ring = calloc (SEEN_MAX, sizeof *seen->ring);
    seen->time = calloc (SEEN_MAX, sizeof *seen->time);
    seen->fetch = zc_hashkey_table (ZC_HASHKEY_HASH, true);     //  keys live in the entries
    bool ok = seen->seen && seen->ring && seen->time && seen->fetch;
    for (int l = 0; l < FETCH_LISTS; l++)
        ok = (seen->order [l] = zlistx_new ()) && ok;
    return ok ? 0 : -1;
}

void
p2p_seen_destroy (p2p_seen_t *seen)
{
    if (seen->fetch)
        for (p2p_fetch_t *f = zhashx_first (seen->fetch); f; f = zhashx_next (seen->fetch))
            free (f);
    zhashx_destroy (&seen->fetch);
    for (int l = 0; l < FETCH_LISTS; l++)
        zlistx_destroy (&seen->order [l]);
    zhashx_destroy (&seen->seen);
    free (seen->ring);
    free (seen->time);
    seen->ring = NULL;
    seen->time = NULL;
}

bool
p2p_seen_has (p2p_seen_t *seen, const uint8_t *hash)
{
    return zhashx_lookup (seen->seen, hash) != NULL;
}

bool
p2p_seen_add (p2p_seen_t *seen, const uint8_t *hash)
{
    if (zhashx_lookup (seen->seen, hash))
        return false;
    if (seen->count == SEEN_MAX) {
        //  the ring is full: forget the oldest
        size_t oldest = (seen->head + SEEN_MAX - seen->count) % SEEN_MAX;
        zhashx_delete (seen->seen, seen->ring [oldest].b);
        seen->count--;
    }
    size_t slot = seen->head;
    memcpy (seen->ring [slot].b, hash, 32);
    seen->time [slot] = zc_mono_ms ();
    seen->head = (slot + 1) % SEEN_MAX;
    seen->count++;
    zhashx_insert (seen->seen, hash, (void *) (uintptr_t) 1);
    return true;
}

void
p2p_seen_expire (p2p_seen_t *seen, int64_t now)
{
    while (seen->count) {
        size_t oldest = (seen->head + SEEN_MAX - seen->count) % SEEN_MAX;
        if (now - seen->time [oldest] < SEEN_EXPIRY_MS)
            break;
        zhashx_delete (seen->seen, seen->ring [oldest].b);
        seen->count--;
    }
}

// ---------------------------------------------------------------------------
//  fetching

//  Put the fetch at the end of list, due in that list's wait from now
static void
s_schedule (p2p_seen_t *seen, p2p_fetch_t *fetch, p2p_fetch_list_t list, int64_t now)
{
    if (fetch->handle)
        zlistx_delete (seen->order [fetch->list], fetch->handle);
    fetch->list = list;
    fetch->deadline = now + s_wait_ms [list];
    fetch->handle = zlistx_add_end (seen->order [list], fetch);
}

p2p_fetch_t *
p2p_fetch_find (p2p_seen_t *seen, const uint8_t *hash)
{
    return zhashx_lookup (seen->fetch, hash);
}

p2p_fetch_t *
p2p_fetch_start (p2p_seen_t *seen, const uint8_t *hash, bool block, uint64_t peer, int64_t now)
{
    if (zhashx_size (seen->fetch) >= FETCH_MAX || zhashx_lookup (seen->fetch, hash))
        return NULL;
    p2p_fetch_t *fetch = calloc (1, sizeof *fetch);
    if (!fetch)
        return NULL;
    memcpy (fetch->hash.b, hash, 32);
    fetch->block = block;
    fetch->from = peer;
    fetch->tried [fetch->n_tried++] = peer;
    s_schedule (seen, fetch, block ? FETCH_ASK_BLOCK : FETCH_ASK_TX, now);
    if (!fetch->handle) {
        free (fetch);
        return NULL;
    }
    zhashx_insert (seen->fetch, fetch->hash.b, fetch);
    return fetch;
}

bool
p2p_fetch_tried (const p2p_fetch_t *fetch, uint64_t peer)
{
    for (int i = 0; i < fetch->n_tried; i++)
        if (fetch->tried [i] == peer)
            return true;
    return false;
}

void
p2p_fetch_alt (p2p_fetch_t *fetch, uint64_t peer)
{
    //  every peer is asked at most once, and at most FETCH_ALTS + 1 in all
    if (p2p_fetch_tried (fetch, peer) || fetch->n_tried + fetch->n_alt > FETCH_ALTS)
        return;
    for (int i = 0; i < fetch->n_alt; i++)
        if (fetch->alt [i] == peer)
            return;
    fetch->alt [fetch->n_alt++] = peer;
}

void
p2p_fetch_delivered (p2p_seen_t *seen, p2p_fetch_t *fetch, int64_t now)
{
    fetch->delivered = true;
    s_schedule (seen, fetch, FETCH_VERDICT, now);
}

uint64_t
p2p_fetch_next (p2p_seen_t *seen, p2p_fetch_t *fetch, int64_t now)
{
    fetch->delivered = false;
    if (fetch->n_alt == 0 || fetch->n_tried > FETCH_ALTS) {
        fetch->from = 0;
        return 0;
    }
    fetch->from = fetch->alt [0];
    memmove (fetch->alt, fetch->alt + 1, (size_t) --fetch->n_alt * sizeof fetch->alt [0]);
    fetch->tried [fetch->n_tried++] = fetch->from;
    s_schedule (seen, fetch, fetch->block ? FETCH_ASK_BLOCK : FETCH_ASK_TX, now);
    return fetch->from;
}

void
p2p_fetch_done (p2p_seen_t *seen, p2p_fetch_t **fetch_p)
{
    p2p_fetch_t *fetch = *fetch_p;
    if (!fetch)
        return;
    if (fetch->handle)
        zlistx_delete (seen->order [fetch->list], fetch->handle);
    zhashx_delete (seen->fetch, fetch->hash.b);
    free (fetch);
    *fetch_p = NULL;
}

p2p_fetch_t *
p2p_fetch_expired (p2p_seen_t *seen, int64_t now)
{
    for (int l = 0; l < FETCH_LISTS; l++) {
        p2p_fetch_t *head = zlistx_first (seen->order [l]);
        if (head && head->deadline <= now)
            return head;
    }
    return NULL;
}

size_t
p2p_fetch_count (p2p_seen_t *seen)
{
    return zhashx_size (seen->fetch);
}
