/*  store.h - the mempool's accepted transactions on disk, for restarts
 *
 *  RocksDB, key txid, value u64 fee | u64 accepted time (ms) | canonical
 *  transaction. Writes go through the write-ahead log without an fsync
 *  each: a crash of the process loses nothing, a power cut may lose the
 *  last moments, which the network would relay again anyway.
 */
#ifndef MEMPOOL_STORE_H_INCLUDED
#define MEMPOOL_STORE_H_INCLUDED

#include "zc_hash.h"

#include <rocksdb/c.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _store_t store_t;

store_t *
    store_open (const char *dir, char *err, size_t err_size);

void
    store_destroy (store_t **self_p);

//  Queue a put or a delete; store_flush writes them in one batch.
void
    store_put (store_t *self, const zc_hash_t *txid, uint64_t fee, uint64_t time_ms,
               const uint8_t *raw, size_t size);
void
    store_delete (store_t *self, const zc_hash_t *txid);

//  0, or -1 (logged)
int
    store_flush (store_t *self);

//  Visit every stored transaction: its key (the txid it was stored under),
//  fee, time accepted and canonical bytes (all borrowed for the call).
typedef void (store_visit_fn) (void *arg, const uint8_t *key, size_t key_size, uint64_t fee,
                               uint64_t time_ms, const uint8_t *raw, size_t size);
void
    store_each (store_t *self, store_visit_fn *visit, void *arg);

#endif
