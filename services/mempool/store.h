/*  store.h - the mempool's accepted transactions on disk, for restarts
 *
 *  RocksDB, key u64 accepted time (ms, big-endian) | txid, value u64 fee |
 *  u64 accepted time (ms) | canonical transaction. Keyed by time, rows
 *  arrive in about the order of their keys, which is what RocksDB's
 *  memtable inserts cheapest (keyed by txid, every insert searched the
 *  whole skip list: a sixth of the mempool's CPU). Rows of an older store,
 *  keyed by the txid alone, are read too and written again under the new
 *  key by store_each. Writes go through the write-ahead log without an fsync
 *  each: a crash of the process loses nothing, a power cut may lose the
 *  last moments, which the network would relay again anyway.
 *
 *  A write that fails (a full disk, an I/O error) fails the store: the
 *  database is closed and nothing is written to it again until
 *  store_probe opens it anew, once the filesystem has room. (RocksDB's C
 *  API has no Resume, and Debian's librocksdb keeps its assertions: a
 *  second write to a file that failed once aborts the process.) While
 *  failed, queued puts are dropped (the caller takes back what they were
 *  for) and queued deletes are kept, to be written after the reopen.
 */
#ifndef MEMPOOL_STORE_H_INCLUDED
#define MEMPOOL_STORE_H_INCLUDED

#include "zc_err.h"
#include "zc_hash.h"

#include <rocksdb/c.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _store_t store_t;

//  A store for the database in dir (made private: 0700), opened; NULL when
//  out of memory or when dir cannot be made private (err says why). When
//  it could not be opened *reason says why (ZC_ERR_STORAGE_FULL: no space;
//  ZC_ERR_UNAVAILABLE: anything else) and err has the text; the store is
//  failed then, and store_probe tries again. A log or table files that do
//  not check out are reported and dealt with (store_damage), not fatal.
store_t *
    store_open (const char *dir, zc_err_t *reason, char *err, size_t err_size);

void
    store_destroy (store_t **self_p);

//  ZC_OK while the store can write, else why not (ZC_ERR_STORAGE_FULL,
//  ZC_ERR_UNAVAILABLE)
zc_err_t
    store_state (const store_t *self);

//  The text of the last failure (borrowed; "" when none)
const char *
    store_error (const store_t *self);

//  Queue a put or a delete; store_flush writes them in one batch.
void
    store_put (store_t *self, const zc_hash_t *txid, uint64_t fee, uint64_t time_ms,
               const uint8_t *raw, size_t size);
void
    store_delete (store_t *self, const zc_hash_t *txid, uint64_t time_ms);

//  Write what is queued: ZC_OK (also when nothing was), or why it could
//  not be written (the store is failed then: its puts are gone).
zc_err_t
    store_flush (store_t *self);

//  A failed store: open the database again when it may work (for a full
//  disk: when the filesystem has at least 1 MB free) and write the deletes
//  kept meanwhile. ZC_OK when the store can write again, else why not.
zc_err_t
    store_probe (store_t *self);

//  Visit every stored transaction: the txid it was stored under (NULL for
//  a row whose key is not a store's: the caller drops it), fee, time
//  accepted and canonical bytes (all borrowed for the call). Nothing when
//  the store is failed.
typedef void (store_visit_fn) (void *arg, const zc_hash_t *txid, uint64_t fee, uint64_t time_ms,
                               const uint8_t *raw, size_t size);
void
    store_each (store_t *self, store_visit_fn *visit, void *arg);

//  Times damage was found since open, each logged: a log that does not
//  check out to its end (torn by a power cut, or damaged: the records
//  before the first bad one are kept), or table files that do not (moved
//  aside as DIR.damaged-TIME, the store starts afresh with what was read).
unsigned
    store_damage (store_t *self);

#endif
