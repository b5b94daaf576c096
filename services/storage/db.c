/*  db.c - RocksDB set-up, small access helpers, damage, the tip note, the scrub */
#include "db.h"
#include "zc_buf.h"
#include "zc_hash.h"
#include "zc_log.h"
#include "zc_private.h"
#include "zc_time.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOTE_NAME "ZCHAIN-TIP"
#define DAMAGE_NAME "ZCHAIN-DAMAGED"
#define NOTE_MAGIC "zctip\0\0\1"
#define NOTE_SIZE 64                    //  magic 8 | seq 8 | height 4 | hash 32 | check 8 | 4 zero
#define SCRUB_CHUNK (1 << 20)           //  bytes read under one iterator

static const char *s_cf_names [DB_CF_COUNT] = {
    "default", "index", "blocks", "undo", "utxo", "height", "txindex", "address", "events",
    "spent", "addrtx", "blockstats"
};

static bool
s_is_corruption (const char *error)
{
    //  RocksDB's Status::ToString: "Corruption: block checksum mismatch ..."
    return error && strncmp (error, "Corruption", 10) == 0;
}

//  Every column family keeps RocksDB's skip-list memtable, and chain.c
//  adds a connect's rows to the batch in key order, column by column, so
//  that an insert starts its search where the one before it ended
//  (RocksDB's sequential splice) instead of from the top. A hashed
//  memtable (a linked list per 32-byte prefix) inserts a random key about
//  three times as fast, but a flush first copies it into a skip list, one
//  random insert a row: the coin set, the transaction index and the
//  spent-by index were hashed until this cost storage 0.1 to 0.3
//  verifications a transaction in every run a flush fell in
//  (docs/benchmarks.md, "Eighth round").
//
//  The address index and the address history: keyed by an output key
//  first, and chain.c writes a connect's rows sorted. A skip list insert
//  searches from the top level each time; with a hint per 32-byte prefix
//  (RocksDB's memtable_insert_with_hint_prefix_extractor, which the C api
//  sets only from a string) it starts where the last row of the same
//  output key went, a step or two before the next in sorted order
static bool
s_ordered (int cf)
{
    return cf == DB_ADDRESS || cf == DB_ADDRTX;
}

static rocksdb_options_t *
s_ordered_options (const rocksdb_options_t *base)
{
    rocksdb_options_t *options = rocksdb_options_create ();
    char *error = NULL;
    rocksdb_get_options_from_string (base,
        "memtable_insert_with_hint_prefix_extractor=rocksdb.FixedPrefix.32", options, &error);
    if (error) {
        rocksdb_free (error);
        rocksdb_options_destroy (options);
        return NULL;
    }
    return options;
}

static void
s_path (const char *dir, const char *name, char *out, size_t size)
{
    snprintf (out, size, "%s/%s", dir, name);
}

// ---------------------------------------------------------------------------
//  damage

bool
db_damage_note (const char *dir, char *reason, size_t size)
{
    char path [4096];
    s_path (dir, DAMAGE_NAME, path, sizeof path);
    FILE *f = fopen (path, "r");
    if (!f)
        return false;
    if (!fgets (reason, (int) size, f))
        snprintf (reason, size, "(no reason recorded)");
    reason [strcspn (reason, "\n")] = 0;
    fclose (f);
    return true;
}

//  The note survives restarts: the database is not opened again, so a
//  supervisor's restart neither loops on the damage nor serves from it
static void
s_write_damage_note (const char *dir, const char *reason)
{
    char path [4096];
    s_path (dir, DAMAGE_NAME, path, sizeof path);
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        zc_error ("cannot write %s: %s", path, strerror (errno));
        return;
    }
    char text [DB_REASON_MAX + 256];
    int n = snprintf (text, sizeof text,
                      "%s\nFound by zchain-storage at %lld (seconds since 1970). Replace this "
                      "database (restore a backup, or delete it to re-sync from peers); see "
                      "docs/operations.md, Security.\n", reason, (long long) time (NULL));
    bool ok = n > 0 && write (fd, text, (size_t) n) == n && fsync (fd) == 0;
    close (fd);
    int dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        fsync (dir_fd);                 //  the new name is durable too
        close (dir_fd);
    }
    if (!ok)
        zc_error ("cannot write %s: %s", path, strerror (errno));
}

void
db_set_damaged (db_t *self, const char *reason)
{
    pthread_mutex_lock (&self->lock);
    if (!atomic_load (&self->damaged)) {
        snprintf (self->reason, sizeof self->reason, "%s", reason);
        s_write_damage_note (self->dir, self->reason);
        atomic_store (&self->damaged, true);
    }
    pthread_mutex_unlock (&self->lock);
}

bool
db_damaged (db_t *self, const char **reason_p)
{
    bool damaged = atomic_load (&self->damaged);
    if (reason_p)
        *reason_p = damaged ? self->reason : NULL;
    return damaged;
}

int
db_failed (db_t *self, const char *what, char *error)
{
    if (s_is_corruption (error)) {
        char reason [DB_REASON_MAX];
        snprintf (reason, sizeof reason, "%s: %s", what, error);
        //  the storage actor logs the one error line when it halts
        zc_debug ("rocksdb %s", reason);
        db_set_damaged (self, reason);
    }
    else
    if (db_damaged (self, NULL))
        zc_debug ("rocksdb %s: %s", what, error ? error : "failed");
    else
        zc_error ("rocksdb %s: %s", what, error ? error : "failed");
    rocksdb_free (error);
    return -1;
}

int
db_iter_failed (db_t *self, rocksdb_iterator_t *it, const char *what)
{
    char *error = NULL;
    rocksdb_iter_get_error (it, &error);
    return error ? db_failed (self, what, error) : 0;
}

// ---------------------------------------------------------------------------
//  open and close

db_t *
db_open (const char *dir, bool sync, char *err, size_t err_size)
{
    if (zc_private_dir (dir, err, err_size))
        return NULL;
    char reason [DB_REASON_MAX];
    if (db_damage_note (dir, reason, sizeof reason)) {
        snprintf (err, err_size, "%s was found damaged: %s", dir, reason);
        return NULL;
    }
    db_t *self = calloc (1, sizeof *self);
    if (!self || !(self->dir = strdup (dir))) {
        free (self);
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->note_fd = -1;
    self->sync = sync;
    //  RocksDB counts every operation into a thread-local perf context
    //  unless the thread says not to (8 % of storage's CPU under load, in
    //  its TLS look-ups); nothing here reads those counts. Per thread: this
    //  one, the actor's, and the scrub's below
    rocksdb_set_perf_level (rocksdb_disable);
    pthread_mutex_init (&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&self->scrub_wake, &attr);
    pthread_condattr_destroy (&attr);
    self->options = rocksdb_options_create ();
    rocksdb_options_set_create_if_missing (self->options, 1);
    rocksdb_options_set_create_missing_column_families (self->options, 1);
    rocksdb_options_increase_parallelism (self->options, 2);
    rocksdb_options_set_max_open_files (self->options, 512);
    //  RocksDB's defaults, said out loud: a file that does not check out
    //  fails the open, and the log replays up to its first bad record
    //  (what a crash or a power cut leaves torn is a write nobody was told
    //  of: every acknowledged batch was fsynced). A log that lost records
    //  it had acknowledged is caught by the tip note (chain.c), not here.
    rocksdb_options_set_paranoid_checks (self->options, 1);
    rocksdb_options_set_wal_recovery_mode (self->options, rocksdb_point_in_time_recovery);
    //  memory stays bounded whatever the load: all memtables together at
    //  most 128 MB (each column family's at most 32 MB before a flush),
    //  plus the 64 MB block cache below
    rocksdb_options_set_write_buffer_size (self->options, 32 << 20);
    rocksdb_options_set_db_write_buffer_size (self->options, 128 << 20);
    //  RocksDB's LOG on a full disk: the line after a failed append trips an
    //  assertion Debian keeps, and the process aborts; at FATAL it stays quiet
    rocksdb_options_set_info_log_level (self->options, 4);
    //  no compression: what is stored is hashes, keys, signatures and
    //  amounts, which Snappy (RocksDB's default) cannot shrink but still
    //  runs over at every flush and compaction, and undoes on every block
    //  read (Bitcoin Core's LevelDB stores uncompressed for the same reason)
    rocksdb_options_set_compression (self->options, rocksdb_no_compression);
    //  bloom filters answer "no such output" without touching a data block:
    //  most mempool look-ups of fresh outputs are exactly that
    self->table = rocksdb_block_based_options_create ();
    self->cache = rocksdb_cache_create_lru (64 << 20);
    rocksdb_block_based_options_set_block_cache (self->table, self->cache);
    //  index and filter blocks live in the cache too (else every table
    //  file keeps its own in memory, growing with the database); level 0's
    //  stay pinned, as they are read on every look-up
    rocksdb_block_based_options_set_cache_index_and_filter_blocks (self->table, 1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache (self->table, 1);
    rocksdb_block_based_options_set_filter_policy (self->table,
                                                   rocksdb_filterpolicy_create_bloom_full (10));
    //  ... in partitions of about 4 KB under a small top level that stays
    //  pinned. A table's whole filter is one block otherwise: with 500,000
    //  coins in a 30 MB table it outgrows a shard of the cache (64 MB in 64
    //  shards), is never kept, and every look-up read it from the file and
    //  checked its checksum again (storage went from 0.45 to 3.2
    //  verifications of CPU a transaction once the coins outgrew the coin
    //  cache; docs/benchmarks.md, "Fifth round")
    rocksdb_block_based_options_set_index_type (self->table,
                                                rocksdb_block_based_table_index_type_two_level_index_search);
    rocksdb_block_based_options_set_partition_filters (self->table, 1);
    rocksdb_block_based_options_set_metadata_block_size (self->table, 4096);
    rocksdb_block_based_options_set_pin_top_level_index_and_filter (self->table, 1);
    rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority (self->table, 1);
    rocksdb_options_set_block_based_table_factory (self->options, self->table);
    //  one writer, storage's main thread: no atomics in memtable inserts
    rocksdb_options_set_allow_concurrent_memtable_write (self->options, 0);
    self->ordered = s_ordered_options (self->options);
    if (!self->ordered) {
        snprintf (err, err_size, "cannot open %s: RocksDB refused the insert-hint option", dir);
        db_destroy (&self);
        return NULL;
    }

    const rocksdb_options_t *cf_options [DB_CF_COUNT];
    for (int i = 0; i < DB_CF_COUNT; i++)
        cf_options [i] = s_ordered (i) ? self->ordered : self->options;
    char *error = NULL;
    self->db = rocksdb_open_column_families (self->options, dir, DB_CF_COUNT, s_cf_names,
                                             cf_options, self->cf, &error);
    if (error) {
        snprintf (err, err_size, "cannot open %s: %s", dir, error);
        if (s_is_corruption (error)) {
            snprintf (reason, sizeof reason, "open: %s", error);
            s_write_damage_note (dir, reason);
        }
        rocksdb_free (error);
        db_destroy (&self);
        return NULL;
    }
    self->read = rocksdb_readoptions_create ();
    rocksdb_readoptions_set_verify_checksums (self->read, 1);
    self->write = rocksdb_writeoptions_create ();
    rocksdb_writeoptions_set_sync (self->write, sync);
    char path [4096];
    s_path (dir, NOTE_NAME, path, sizeof path);
    self->note_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (self->note_fd < 0) {
        snprintf (err, err_size, "cannot open %s: %s", path, strerror (errno));
        db_destroy (&self);
        return NULL;
    }
    return self;
}

void
db_destroy (db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    db_t *self = *self_p;
    db_scrub_stop (self);
    if (self->db && !db_damaged (self, NULL)) {
        rocksdb_flushoptions_t *flush = rocksdb_flushoptions_create ();
        rocksdb_flushoptions_set_wait (flush, 1);
        for (int i = 0; i < DB_CF_COUNT; i++) {
            char *error = NULL;
            rocksdb_flush_cf (self->db, flush, self->cf [i], &error);
            if (error)
                db_failed (self, "flush at close", error);
        }
        rocksdb_flushoptions_destroy (flush);
    }
    for (int i = 0; i < DB_CF_COUNT; i++)
        if (self->cf [i])
            rocksdb_column_family_handle_destroy (self->cf [i]);
    if (self->db)
        rocksdb_close (self->db);
    if (self->read)
        rocksdb_readoptions_destroy (self->read);
    if (self->write)
        rocksdb_writeoptions_destroy (self->write);
    if (self->options)
        rocksdb_options_destroy (self->options);
    if (self->ordered)
        rocksdb_options_destroy (self->ordered);
    if (self->table)
        rocksdb_block_based_options_destroy (self->table);
    if (self->cache)
        rocksdb_cache_destroy (self->cache);
    if (self->note_fd >= 0) {
        if (self->sync)
            fdatasync (self->note_fd);
        close (self->note_fd);
    }
    pthread_cond_destroy (&self->scrub_wake);
    pthread_mutex_destroy (&self->lock);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

// ---------------------------------------------------------------------------
//  reads and writes

int
db_get (db_t *self, db_cf_t cf, const void *key, size_t key_size,
        uint8_t **value_p, size_t *size_p)
{
    char *error = NULL;
    size_t size = 0;
    char *value = rocksdb_get_cf (self->db, self->read, self->cf [cf], key, key_size,
                                  &size, &error);
    *value_p = NULL;
    *size_p = 0;
    if (error)
        return db_failed (self, s_cf_names [cf], error);
    if (!value)
        return 0;
    *value_p = (uint8_t *) value;
    *size_p = size;
    return 1;
}

int
db_get_fixed (db_t *self, db_cf_t cf, const void *key, size_t key_size, void *out, size_t size)
{
    char *error = NULL;
    rocksdb_pinnableslice_t *slice = rocksdb_get_pinned_cf (self->db, self->read, self->cf [cf],
                                                            key, key_size, &error);
    if (error)
        return db_failed (self, s_cf_names [cf], error);
    if (!slice)
        return 0;
    size_t got = 0;
    const char *value = rocksdb_pinnableslice_value (slice, &got);
    int rc = got == size ? 1 : -1;
    if (rc == 1)
        memcpy (out, value, size);
    else
        zc_error ("rocksdb (%s): record of %zu bytes, expected %zu", s_cf_names [cf], got, size);
    rocksdb_pinnableslice_destroy (slice);
    return rc;
}

int
db_write (db_t *self, rocksdb_writebatch_t *batch)
{
    char *error = NULL;
    rocksdb_write (self->db, self->write, batch, &error);
    return error ? db_failed (self, "write", error) : 0;
}

// ---------------------------------------------------------------------------
//  the tip note

static void
s_note_check (const uint8_t *note, uint8_t check [8])
{
    uint8_t digest [32];
    zc_sha256 (note, 52, digest);
    memcpy (check, digest, 8);
}

int
db_note_write (db_t *self, uint64_t seq, uint32_t height, const uint8_t hash [32])
{
    uint8_t note [NOTE_SIZE] = { 0 };
    memcpy (note, NOTE_MAGIC, 8);
    zc_put_le64 (note + 8, seq);
    zc_put_le32 (note + 16, height);
    memcpy (note + 20, hash, 32);
    s_note_check (note, note + 52);
    //  one sector, rewritten in place: no rename, no new block to allocate
    if (pwrite (self->note_fd, note, sizeof note, 0) != (ssize_t) sizeof note
    ||  (self->sync && fdatasync (self->note_fd) != 0)) {
        //  once, not at every block: the commit itself went through
        if (!self->note_failed)
            zc_error ("cannot write %s/%s: %s (lost blocks may go unnoticed)", self->dir,
                      NOTE_NAME, strerror (errno));
        self->note_failed = true;
        return -1;
    }
    self->note_failed = false;
    return 0;
}

int
db_note_read (db_t *self, uint64_t *seq, uint32_t *height, uint8_t hash [32])
{
    uint8_t note [NOTE_SIZE], check [8];
    ssize_t got = pread (self->note_fd, note, sizeof note, 0);
    if (got == 0)
        return 0;
    if (got != (ssize_t) sizeof note || memcmp (note, NOTE_MAGIC, 8) != 0)
        return -1;
    s_note_check (note, check);
    if (memcmp (check, note + 52, 8) != 0)
        return -1;
    *seq = zc_le64 (note + 8);
    *height = zc_le32 (note + 16);
    memcpy (hash, note + 20, 32);
    return 1;
}

// ---------------------------------------------------------------------------
//  the scrub

//  Wait up to ms, or until told to stop: true when told
static bool
s_scrub_wait (db_t *self, int64_t ms)
{
    struct timespec until;
    clock_gettime (CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock (&self->lock);
    while (!self->scrub_stop && ms > 0
    &&     pthread_cond_timedwait (&self->scrub_wake, &self->lock, &until) != ETIMEDOUT)
        ;
    bool stop = self->scrub_stop;
    pthread_mutex_unlock (&self->lock);
    return stop;
}

//  Every record of one column family, a chunk per iterator (an iterator
//  pins the files it reads: a short one lets compaction delete old files),
//  paced to the rate over the pass. 0 done, -1 stopped or damaged.
static int
s_scrub_cf (db_t *self, int cf, int64_t pass_start_ms, uint64_t *pass_bytes)
{
    uint8_t *last = NULL;
    size_t last_size = 0, last_cap = 0;
    bool done = false;
    int rc = 0;
    while (!done && rc == 0) {
        rocksdb_iterator_t *it = rocksdb_create_iterator_cf (self->db, self->scrub_read,
                                                             self->cf [cf]);
        if (last) {
            rocksdb_iter_seek (it, (const char *) last, last_size);
            size_t klen;
            const char *key = rocksdb_iter_valid (it) ? rocksdb_iter_key (it, &klen) : NULL;
            if (key && klen == last_size && memcmp (key, last, klen) == 0)
                rocksdb_iter_next (it);
        }
        else
            rocksdb_iter_seek_to_first (it);
        uint64_t chunk = 0;
        for (; rocksdb_iter_valid (it) && chunk < SCRUB_CHUNK; rocksdb_iter_next (it)) {
            size_t klen, vlen;
            const char *key = rocksdb_iter_key (it, &klen);
            rocksdb_iter_value (it, &vlen);
            chunk += klen + vlen;
            if (klen > last_cap) {
                uint8_t *grown = realloc (last, klen);
                if (!grown) {
                    rc = -1;
                    break;
                }
                last = grown;
                last_cap = klen;
            }
            memcpy (last, key, klen);
            last_size = klen;
        }
        done = !rocksdb_iter_valid (it);
        char what [64];
        snprintf (what, sizeof what, "scrub of %s", s_cf_names [cf]);
        if (db_iter_failed (self, it, what))
            rc = -1;
        rocksdb_iter_destroy (it);
        atomic_fetch_add (&self->scrub_bytes, chunk);
        *pass_bytes += chunk;
        int64_t due_ms = pass_start_ms + (int64_t) (*pass_bytes * 1000 / self->scrub_rate);
        if (rc == 0 && s_scrub_wait (self, due_ms - zc_mono_ms ()))
            rc = -1;
    }
    free (last);
    return rc;
}

static void *
s_scrub_run (void *arg)
{
    db_t *self = arg;
    rocksdb_set_perf_level (rocksdb_disable);
    while (!db_damaged (self, NULL)) {
        int64_t start = zc_mono_ms ();
        uint64_t bytes = 0;
        int rc = 0;
        for (int cf = 0; cf < DB_CF_COUNT && rc == 0; cf++)
            rc = s_scrub_cf (self, cf, start, &bytes);
        if (rc)
            break;
        atomic_fetch_add (&self->scrub_passes, 1);
        zc_info ("scrub: %llu bytes of records verified in %.1f s",
                 (unsigned long long) bytes, (double) (zc_mono_ms () - start) / 1000);
        if (s_scrub_wait (self, self->scrub_interval_ms))
            break;
    }
    return NULL;
}

int
db_scrub_start (db_t *self, uint64_t bytes_per_s, int64_t interval_s)
{
    assert (!self->scrub_running && bytes_per_s > 0);
    self->scrub_rate = bytes_per_s;
    self->scrub_interval_ms = interval_s * 1000;
    self->scrub_stop = false;
    self->scrub_read = rocksdb_readoptions_create ();
    rocksdb_readoptions_set_verify_checksums (self->scrub_read, 1);
    //  a pass over everything must not push the working set out of the cache
    rocksdb_readoptions_set_fill_cache (self->scrub_read, 0);
    rocksdb_readoptions_set_readahead_size (self->scrub_read, 2 << 20);
    if (pthread_create (&self->scrub_thread, NULL, s_scrub_run, self)) {
        rocksdb_readoptions_destroy (self->scrub_read);
        self->scrub_read = NULL;
        return -1;
    }
    self->scrub_running = true;
    return 0;
}

void
db_scrub_stop (db_t *self)
{
    if (!self->scrub_running)
        return;
    pthread_mutex_lock (&self->lock);
    self->scrub_stop = true;
    pthread_cond_broadcast (&self->scrub_wake);
    pthread_mutex_unlock (&self->lock);
    pthread_join (self->scrub_thread, NULL);
    self->scrub_running = false;
    rocksdb_readoptions_destroy (self->scrub_read);
    self->scrub_read = NULL;
}

uint64_t
db_scrub_bytes (db_t *self)
{
    return atomic_load (&self->scrub_bytes);
}

uint64_t
db_scrub_passes (db_t *self)
{
    return atomic_load (&self->scrub_passes);
}

uint64_t
db_memory (db_t *self)
{
    uint64_t total = rocksdb_cache_get_usage (self->cache);
    for (int i = 0; i < DB_CF_COUNT; i++) {
        uint64_t value;
        if (rocksdb_property_int_cf (self->db, self->cf [i], "rocksdb.cur-size-all-mem-tables", &value) == 0)
            total += value;
        if (rocksdb_property_int_cf (self->db, self->cf [i], "rocksdb.estimate-table-readers-mem", &value) == 0)
            total += value;
    }
    return total;
}
