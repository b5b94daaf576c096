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
 *      spent     outpoint key -> spending txid | u32 input, best chain only
 *      addrtx    pubkey | u32 big-endian (0xffffffff - height) | txid -> empty:
 *                each transaction paying to or spending from pubkey, best
 *                chain only, newest first in key order
 *      blockstats block hash -> u32 tx count | u32 size | u64 fees | u32 fee
 *                bytes, written when the block is connected (kept after)
 *
 *  The last three came later: a database made before them holds their
 *  records only for the blocks connected since (see docs/architecture.md).
 *
 *  Damage. RocksDB checks every block it reads against its checksum. A
 *  read or a scrub that meets a bad one, a database RocksDB will not open
 *  for corruption, or acknowledged steps missing at open (chain.c) mark
 *  the database damaged: the reason is kept here and in DIR/ZCHAIN-DAMAGED,
 *  so the database is not opened again until an operator replaces it
 *  (docs/operations.md, Security). Only RocksDB's "Corruption" errors and
 *  lost steps count; an I/O error is a failure, not damage.
 *
 *  The tip note. DIR/ZCHAIN-TIP holds the last committed step (event
 *  sequence number, height, hash), written after each commit's batch is
 *  durable (and fsynced itself when sync is on): outside RocksDB's files,
 *  so a write-ahead log that lost its tail cannot take the note with it.
 */
#ifndef STORAGE_DB_H_INCLUDED
#define STORAGE_DB_H_INCLUDED

#include <pthread.h>
#include <rocksdb/c.h>
#include <stdatomic.h>
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
    DB_SPENT,
    DB_ADDRTX,
    DB_BLOCKSTATS,
    DB_CF_COUNT
} db_cf_t;

#define DB_REASON_MAX 512               //  a damage reason, NUL included

typedef struct {
    rocksdb_t *db;
    rocksdb_options_t *options;
    rocksdb_options_t *ordered;         //  for the address index and history
    rocksdb_block_based_table_options_t *table;
    rocksdb_cache_t *cache;
    rocksdb_column_family_handle_t *cf [DB_CF_COUNT];
    rocksdb_readoptions_t *read;
    rocksdb_writeoptions_t *write;
    char *dir;
    bool sync;
    int note_fd;                        //  DIR/ZCHAIN-TIP
    bool note_failed;                   //  the last write failed (logged once)
    //  damage: reason written once under the lock, then the flag set
    pthread_mutex_t lock;
    atomic_bool damaged;
    char reason [DB_REASON_MAX];
    //  the scrub thread
    pthread_t scrub_thread;
    bool scrub_running;
    pthread_cond_t scrub_wake;
    bool scrub_stop;                    //  under lock
    uint64_t scrub_rate;                //  bytes a second
    int64_t scrub_interval_ms;
    rocksdb_readoptions_t *scrub_read;
    atomic_uint_least64_t scrub_bytes;
    atomic_uint_least64_t scrub_passes;
} db_t;

//  Open (creating if missing) the database in dir. sync: fsync every write
//  batch (a connected block survives power loss, not just a crash). NULL
//  and a one-line reason in err on failure; a database found damaged now
//  or before is refused (db_damage_note tells).
db_t *
    db_open (const char *dir, bool sync, char *err, size_t err_size);

//  Stop the scrub, flush the memtables (a clean restart replays no log)
//  unless damaged, close.
void
    db_destroy (db_t **self_p);

//  Get a value: 1 found (*value_p malloc'd, the caller frees), 0 absent,
//  -1 the store failed (logged; damaged if it was a corruption).
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

//  A RocksDB error from operation what: logged (at debug once the database
//  is damaged), and a corruption marks it damaged. Frees error; returns -1.
int
    db_failed (db_t *self, const char *what, char *error);

//  After a loop over it: 0 when the iterator ended without error, else -1
//  as db_failed.
int
    db_iter_failed (db_t *self, rocksdb_iterator_t *it, const char *what);

//  Mark the database damaged for reason: kept in memory and written to
//  DIR/ZCHAIN-DAMAGED (fsynced); the first reason stays. Any thread.
void
    db_set_damaged (db_t *self, const char *reason);

//  True once the database was found damaged; *reason_p (if not NULL) the
//  reason, borrowed (it never changes once set). Any thread.
bool
    db_damaged (db_t *self, const char **reason_p);

//  True when dir holds a damage note: its first line into reason.
bool
    db_damage_note (const char *dir, char *reason, size_t size);

//  Write the tip note: the step seq, its tip's height and hash. 0, or -1
//  (logged).
int
    db_note_write (db_t *self, uint64_t seq, uint32_t height, const uint8_t hash [32]);

//  Read the tip note: 1 read, 0 none yet, -1 unreadable (torn or not ours).
int
    db_note_read (db_t *self, uint64_t *seq, uint32_t *height, uint8_t hash [32]);

//  Start the scrub: a thread reading every record of every column family
//  with checksums verified, at most bytes_per_s (keys and values), once
//  now and again interval_s after each pass ends. A corruption marks the
//  database damaged and ends the scrub. 0, or -1 (no thread).
int
    db_scrub_start (db_t *self, uint64_t bytes_per_s, int64_t interval_s);

//  Stop the scrub and wait for its thread; safe when none runs.
void
    db_scrub_stop (db_t *self);

//  Bytes the scrub has read, and passes it has completed.
uint64_t
    db_scrub_bytes (db_t *self);
uint64_t
    db_scrub_passes (db_t *self);

//  Bytes RocksDB holds in memory: memtables, table readers, block cache
uint64_t
    db_memory (db_t *self);

#endif
