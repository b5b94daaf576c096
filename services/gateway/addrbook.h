/*  addrbook.h - the peer addresses a node knows, persisted across restarts
 *
 *  An address is where a node accepts peers ("tcp://HOST:PORT", with
 *  "#KEY" appended, the CURVE public key in 64 hex digits, when its links are encrypted). The book keeps at
 *  most ADDRBOOK_MAX of them with when each was last seen, failed
 *  attempts, the next time an outbound connection may be tried (backoff
 *  with jitter), and bans. It is saved as text, one address per line, in
 *  a file written atomically (temporary file, then rename).
 */
#ifndef ADDRBOOK_H_INCLUDED
#define ADDRBOOK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDRBOOK_MAX 1000
#define ADDRBOOK_ADDRESS_MAX 160

typedef struct {
    char address [ADDRBOOK_ADDRESS_MAX];
    uint64_t last_seen_ms;              //  wall clock: when a handshake last succeeded
    int64_t next_attempt_ms;            //  monotonic: not before
    int64_t backoff_ms;
    int64_t banned_until_ms;            //  wall clock
    uint32_t failures;
    bool self;                          //  our own address: never dialled
    bool bootstrap;                     //  named by --bootstrap: never forgotten
} addrbook_entry_t;

typedef struct _addrbook_t addrbook_t;

//  A book saved to path (NULL or "": kept in memory only), loaded from it
//  when it exists.
addrbook_t *
    addrbook_new (const char *path);

void
    addrbook_destroy (addrbook_t **self_p);

//  Is address well formed ("tcp://HOST:PORT", optional "#KEY"; or
//  "inproc://NAME" for nodes that share one process)?
bool
    addrbook_valid (const char *address);

//  Add an address (learned from a peer, or a bootstrap); the entry, or
//  NULL when invalid or the book is full of better ones.
addrbook_entry_t *
    addrbook_add (addrbook_t *self, const char *address, bool bootstrap);

addrbook_entry_t *
    addrbook_find (addrbook_t *self, const char *address);

//  A handshake with it succeeded / an attempt failed (backoff doubles up
//  to max_backoff_ms, with a jitter of a quarter either way).
void
    addrbook_good (addrbook_t *self, addrbook_entry_t *entry, int64_t now_mono);
void
    addrbook_failed (addrbook_t *self, addrbook_entry_t *entry, int64_t now_mono,
                     int64_t max_backoff_ms);

//  Forget an entry (an address learned from a peer that did not answer);
//  entry pointers from before the call are invalid after it.
void
    addrbook_remove (addrbook_t *self, addrbook_entry_t *entry);

//  Ban until wall-clock time until_ms.
void
    addrbook_ban (addrbook_t *self, addrbook_entry_t *entry, uint64_t until_ms);

//  Entries in no particular order; count in *n.
addrbook_entry_t *
    addrbook_entries (addrbook_t *self, size_t *n);

//  Save when changed since the last save. 0 ok, -1 on a write error.
int
    addrbook_save (addrbook_t *self);

#endif
