/*  zc_tx.c - transaction encoding, hashing and signing */
#include "zc_tx.h"

#include <stdlib.h>
#include <string.h>

zc_tx_t *
zc_tx_new (uint32_t n_in, uint32_t n_out)
{
    //  inputs are 100 bytes each: round up so the outputs' u64 amounts align
    size_t in_bytes = ((size_t) n_in * sizeof (zc_txin_t) + 7) & ~(size_t) 7;
    size_t bytes = sizeof (zc_tx_t) + in_bytes + (size_t) n_out * sizeof (zc_txout_t);
    zc_tx_t *self = calloc (1, bytes);
    if (!self)
        return NULL;
    self->version = ZC_TX_VERSION;
    self->n_in = n_in;
    self->n_out = n_out;
    self->in = (zc_txin_t *) (self + 1);
    self->out = (zc_txout_t *) ((uint8_t *) self->in + in_bytes);
    return self;
}

void
zc_tx_destroy (zc_tx_t **self_p)
{
    if (self_p && *self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

zc_tx_t *
zc_tx_dup (const zc_tx_t *self)
{
    zc_tx_t *copy = zc_tx_new (self->n_in, self->n_out);
    if (!copy)
        return NULL;
    zc_txin_t *in = copy->in;
    zc_txout_t *out = copy->out;
    *copy = *self;
    copy->in = in;
    copy->out = out;
    memcpy (in, self->in, self->n_in * sizeof *in);
    memcpy (out, self->out, self->n_out * sizeof *out);
    return copy;
}

bool
zc_tx_is_coinbase (const zc_tx_t *self)
{
    return self->n_in == 1 && self->in [0].prevout.index == ZC_COINBASE_INDEX;
}

uint32_t
zc_coinbase_height (const zc_tx_t *self)
{
    return zc_le32 (self->in [0].prevout.txid.b);
}

zc_err_t
zc_tx_read (zc_reader_t *reader, zc_tx_t **tx_p)
{
    *tx_p = NULL;
    size_t start = reader->pos;
    const uint8_t *head = zc_reader_skip (reader, 4);
    //  counts are bounded by the bytes left before anything is allocated,
    //  so a tiny message cannot make us allocate a large array
    uint64_t n_in = zc_reader_varint (reader, zc_reader_left (reader) / ZC_OUTPOINT_BYTES);
    const uint8_t *ins = zc_reader_skip (reader, (size_t) n_in * ZC_OUTPOINT_BYTES);
    uint64_t n_out = zc_reader_varint (reader, zc_reader_left (reader) / ZC_TXOUT_BYTES);
    const uint8_t *outs = zc_reader_skip (reader, (size_t) n_out * ZC_TXOUT_BYTES);
    if (reader->bad || !head)
        return reader->pos - start > ZC_TX_MAX_BYTES ? ZC_ERR_OVERSIZE : ZC_ERR_MALFORMED;
    size_t base_size = reader->pos - start;
    bool coinbase = n_in == 1 && zc_le32 (ins + 32) == ZC_COINBASE_INDEX;
    const uint8_t *sigs = NULL;
    if (!coinbase) {
        sigs = zc_reader_skip (reader, (size_t) n_in * ZC_SIG_SIZE);
        if (!sigs)
            return ZC_ERR_MALFORMED;
    }
    size_t size = reader->pos - start;
    if (size > ZC_TX_MAX_BYTES)
        return ZC_ERR_OVERSIZE;

    zc_tx_t *tx = zc_tx_new ((uint32_t) n_in, (uint32_t) n_out);
    if (!tx)
        return ZC_ERR_INTERNAL;
    tx->version = zc_le32 (head);
    for (uint32_t i = 0; i < tx->n_in; i++) {
        memcpy (tx->in [i].prevout.txid.b, ins + i * ZC_OUTPOINT_BYTES, 32);
        tx->in [i].prevout.index = zc_le32 (ins + i * ZC_OUTPOINT_BYTES + 32);
        if (sigs)
            memcpy (tx->in [i].sig, sigs + i * ZC_SIG_SIZE, ZC_SIG_SIZE);
    }
    for (uint32_t i = 0; i < tx->n_out; i++) {
        tx->out [i].amount = zc_le64 (outs + i * ZC_TXOUT_BYTES);
        memcpy (tx->out [i].pubkey, outs + i * ZC_TXOUT_BYTES + 8, ZC_PUBKEY_SIZE);
    }
    //  hash the bytes we were given: they are canonical, since every varint
    //  was minimal and every other field has a fixed width
    const uint8_t *raw = reader->data + start;
    zc_sha256d (raw, base_size, tx->txid.b);
    zc_sha256d (raw, size, tx->wtxid.b);
    tx->base_size = (uint32_t) base_size;
    tx->size = (uint32_t) size;
    *tx_p = tx;
    return ZC_OK;
}

zc_err_t
zc_tx_decode (const uint8_t *data, size_t size, zc_tx_t **tx_p)
{
    *tx_p = NULL;
    if (!data || size == 0)
        return ZC_ERR_MALFORMED;
    if (size > ZC_TX_MAX_BYTES)
        return ZC_ERR_OVERSIZE;
    zc_reader_t reader;
    zc_reader_init (&reader, data, size);
    zc_err_t rc = zc_tx_read (&reader, tx_p);
    if (rc == ZC_OK && zc_reader_left (&reader) != 0) {
        zc_tx_destroy (tx_p);
        return ZC_ERR_MALFORMED;
    }
    return rc;
}

void
zc_tx_write (const zc_tx_t *self, zc_writer_t *writer, bool witness)
{
    zc_writer_u32 (writer, self->version);
    zc_writer_varint (writer, self->n_in);
    for (uint32_t i = 0; i < self->n_in; i++) {
        zc_writer_bytes (writer, self->in [i].prevout.txid.b, 32);
        zc_writer_u32 (writer, self->in [i].prevout.index);
    }
    zc_writer_varint (writer, self->n_out);
    for (uint32_t i = 0; i < self->n_out; i++) {
        zc_writer_u64 (writer, self->out [i].amount);
        zc_writer_bytes (writer, self->out [i].pubkey, ZC_PUBKEY_SIZE);
    }
    if (witness && !zc_tx_is_coinbase (self))
        for (uint32_t i = 0; i < self->n_in; i++)
            zc_writer_bytes (writer, self->in [i].sig, ZC_SIG_SIZE);
}

uint8_t *
zc_tx_encode (const zc_tx_t *self, size_t *size_p)
{
    zc_writer_t writer;
    zc_writer_init (&writer, 16 + (size_t) self->n_in * 100 + (size_t) self->n_out * 40);
    zc_tx_write (self, &writer, true);
    if (writer.bad) {
        zc_writer_free (&writer);
        *size_p = 0;
        return NULL;
    }
    *size_p = writer.size;
    return writer.data;
}

void
zc_tx_finalize (zc_tx_t *self)
{
    zc_writer_t writer;
    zc_writer_init (&writer, 16 + (size_t) self->n_in * 100 + (size_t) self->n_out * 40);
    zc_tx_write (self, &writer, false);
    size_t base_size = writer.size;
    zc_sha256d (writer.data, base_size, self->txid.b);
    if (!zc_tx_is_coinbase (self))
        for (uint32_t i = 0; i < self->n_in; i++)
            zc_writer_bytes (&writer, self->in [i].sig, ZC_SIG_SIZE);
    zc_sha256d (writer.data, writer.size, self->wtxid.b);
    self->base_size = (uint32_t) base_size;
    self->size = (uint32_t) writer.size;
    zc_writer_free (&writer);
}

zc_tx_t *
zc_coinbase_new (uint32_t height, uint64_t extranonce, uint64_t amount,
                 const uint8_t pubkey [ZC_PUBKEY_SIZE])
{
    zc_tx_t *tx = zc_tx_new (1, 1);
    if (!tx)
        return NULL;
    zc_put_le32 (tx->in [0].prevout.txid.b, height);
    zc_put_le64 (tx->in [0].prevout.txid.b + 4, extranonce);
    tx->in [0].prevout.index = ZC_COINBASE_INDEX;
    tx->out [0].amount = amount;
    memcpy (tx->out [0].pubkey, pubkey, ZC_PUBKEY_SIZE);
    zc_tx_finalize (tx);
    return tx;
}

void
zc_sighash_init (zc_sighash_t *self, const zc_tx_t *tx, const zc_coin_t *spent,
                 const zc_hash_t *genesis)
{
    zc_sha256_t h;
    zc_sha256_init (&h);
    for (uint32_t i = 0; i < tx->n_in; i++) {
        uint8_t amount [8];
        zc_put_le64 (amount, spent [i].amount);
        zc_sha256_update (&h, amount, 8);
        zc_sha256_update (&h, spent [i].pubkey, ZC_PUBKEY_SIZE);
    }
    uint8_t spent_hash [32];
    zc_sha256_final (&h, spent_hash);

    zc_sha256_tagged_init (&self->prefix, "ZChain/SigHash");
    zc_sha256_update (&self->prefix, genesis->b, 32);
    zc_sha256_update (&self->prefix, tx->txid.b, 32);
    zc_sha256_update (&self->prefix, spent_hash, 32);
}

void
zc_sighash_input (const zc_sighash_t *self, uint32_t index, uint8_t msg [32])
{
    zc_sha256_t h = self->prefix;
    uint8_t le [4];
    zc_put_le32 (le, index);
    zc_sha256_update (&h, le, 4);
    zc_sha256_final (&h, msg);
}

int
zc_tx_sign (zc_tx_t *self, const zc_coin_t *spent, const zc_hash_t *genesis,
            const zc_seckey_t *keys)
{
    zc_tx_finalize (self);              //  the txid must be current before hashing
    zc_sighash_t sighash;
    zc_sighash_init (&sighash, self, spent, genesis);
    for (uint32_t i = 0; i < self->n_in; i++) {
        uint8_t pubkey [ZC_PUBKEY_SIZE], msg [32];
        if (zc_seckey_pubkey (&keys [i], pubkey)
        ||  memcmp (pubkey, spent [i].pubkey, ZC_PUBKEY_SIZE) != 0)
            return -1;
        zc_sighash_input (&sighash, i, msg);
        if (zc_sign (&keys [i], msg, self->in [i].sig))
            return -1;
    }
    zc_tx_finalize (self);
    return 0;
}

zc_err_t
zc_tx_verify_sigs (const zc_tx_t *self, const zc_coin_t *spent, const zc_hash_t *genesis)
{
    if (zc_tx_is_coinbase (self))
        return ZC_OK;
    zc_sighash_t sighash;
    zc_sighash_init (&sighash, self, spent, genesis);
    for (uint32_t i = 0; i < self->n_in; i++) {
        uint8_t msg [32];
        zc_sighash_input (&sighash, i, msg);
        if (!zc_verify (spent [i].pubkey, msg, self->in [i].sig))
            return ZC_ERR_BAD_SIG;
    }
    return ZC_OK;
}

bool
zc_outpoint_eq (const zc_outpoint_t *a, const zc_outpoint_t *b)
{
    return a->index == b->index && zc_hash_eq (&a->txid, &b->txid);
}

void
zc_outpoint_key (const zc_outpoint_t *outpoint, uint8_t key [36])
{
    memcpy (key, outpoint->txid.b, 32);
    zc_put_be32 (key + 32, outpoint->index);
}
