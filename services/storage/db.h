/*  db.h - storage's RocksDB: one database, a column family per kind of record
 *
 *  Column families and their records:
 *      default   metadata: "tip" -> block hash, "event_seq" -> u64
 *      index     block hash -> index record (chain.c)
 *      blocks    block hash -> canonical block bytes
 *      undo      block hash -> undo data (zc_undo_encode)
 *      utxo      outpoint key (zc_outpoint_key) -> coin (zc_coin_encode)
 *      height    u32 big-endian height -> block hash, best chain only
 *      txindex   txid -> block hash | u32 position, best chain only
 *      address   pubkey | outpoint key -> coin, unspent outputs by owner
 *      events    u64 big-endian sequence -> chain event record
 */
#ifndef STORAGE_DB_H_INCLUDED
#define STORAGE_DB_H_INCLUDED

#include <rocksdb/c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    DB_META = 0,
    DB_INDEX,
    DB_BLOCKS,
    DB_UNDO,
    DB_UTXO,
    DB_HEIGHT,
    DB_TXINDEX,
    DB_ADDRESS,
    DB_EVENTS,
    DB_CF_COUNT
} db_cf_t;

typedef struct {
    rocksdb_t *db;
    rocksdb_options_t *options;
    rocksdb_block_based_table_options_t *table;
    rocksdb_cache_t *cache;
    rocksdb_column_family_handle_t *cf [DB_CF_COUNT];
    rocksdb_readoptions_t *read;
    rocksdb_writeoptions_t *write;
} db_t;

//  Open (creating if missing) the database in dir. sync: fsync every write
//  batch (a connected block survives power loss, not just a crash). NULL
//  and a one-line reason in err on failure.
db_t *
    db_open (const char *dir, bool sync, char *err, size_t err_size);

void
    db_destroy (db_t **self_p);

//  Get a value: 1 found (*value_p malloc'd, the caller frees), 0 absent,
//  -1 the store failed (logged).
int
    db_get (db_t *self, db_cf_t cf, const void *key, size_t key_size,
            uint8_t **value_p, size_t *size_p);

//  Get a value into a fixed buffer of exactly size bytes: 1 found with that
//  size, 0 absent, -1 failed or another size.
int
    db_get_fixed (db_t *self, db_cf_t cf, const void *key, size_t key_size,
                  void *out, size_t size);

//  Apply a batch. 0, or -1 (logged).
int
    db_write (db_t *self, rocksdb_writebatch_t *batch);

//  Bytes RocksDB holds in memory: memtables, table readers, block cache
uint64_t
    db_memory (db_t *self);

#endif
