/*  p2p_seen.c - ids we have seen (not fetched again), and ids we asked
 *  peers for (what they send unasked is misbehaviour)
 */
#include "p2p_int.h"
#include "zc_hashkey.h"
#include "zc_time.h"

#include <stdlib.h>
#include <string.h>

int
p2p_seen_init (p2p_seen_t *seen)
{
    memset (seen, 0, sizeof *seen);
    seen->seen = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    seen->ring = calloc (SEEN_MAX, sizeof *seen->ring);
    seen->time = calloc (SEEN_MAX, sizeof *seen->time);
    seen->asked = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    seen->asked_old = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    seen->asked_since = zc_mono_ms ();
    return seen->seen && seen->ring && seen->time && seen->asked && seen->asked_old ? 0 : -1;
}

void
p2p_seen_destroy (p2p_seen_t *seen)
{
    zhashx_destroy (&seen->seen);
    zhashx_destroy (&seen->asked);
    zhashx_destroy (&seen->asked_old);
    free (seen->ring);
    free (seen->time);
    seen->ring = NULL;
    seen->time = NULL;
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

bool
p2p_asked_add (p2p_seen_t *seen, const uint8_t *hash, uint64_t peer)
{
    if (zhashx_size (seen->asked) >= ASKED_MAX)
        return false;                   //  too much asked at once: not fetched
    zhashx_update (seen->asked, hash, (void *) (uintptr_t) peer);
    return true;
}

uint64_t
p2p_asked_take (p2p_seen_t *seen, const uint8_t *hash)
{
    uintptr_t who = (uintptr_t) zhashx_lookup (seen->asked, hash);
    if (who)
        zhashx_delete (seen->asked, hash);
    else
    if ((who = (uintptr_t) zhashx_lookup (seen->asked_old, hash)))
        zhashx_delete (seen->asked_old, hash);
    return (uint64_t) who;
}

void
p2p_asked_rotate (p2p_seen_t *seen, int64_t now)
{
    if (now - seen->asked_since <= ASKED_GENERATION_MS)
        return;
    zhashx_t *fresh = zc_hashkey_table (ZC_HASHKEY_HASH, false);
    if (fresh) {
        zhashx_destroy (&seen->asked_old);
        seen->asked_old = seen->asked;
        seen->asked = fresh;
        seen->asked_since = now;
    }
}
