/*  zc_buf.c - bounded reader and writer */
#include "zc_buf.h"

#include <stdlib.h>
#include <string.h>

void
zc_reader_init (zc_reader_t *self, const uint8_t *data, size_t size)
{
    self->data = data;
    self->size = data ? size : 0;
    self->pos = 0;
    self->bad = false;
}

const uint8_t *
zc_reader_skip (zc_reader_t *self, size_t size)
{
    if (self->bad || size > self->size - self->pos) {
        self->bad = true;
        return NULL;
    }
    const uint8_t *p = self->data + self->pos;
    self->pos += size;
    return p;
}

void
zc_reader_bytes (zc_reader_t *self, void *out, size_t size)
{
    const uint8_t *p = zc_reader_skip (self, size);
    if (p)
        memcpy (out, p, size);
    else
        memset (out, 0, size);
}

uint8_t
zc_reader_u8 (zc_reader_t *self)
{
    const uint8_t *p = zc_reader_skip (self, 1);
    return p ? p [0] : 0;
}

uint32_t
zc_reader_u32 (zc_reader_t *self)
{
    const uint8_t *p = zc_reader_skip (self, 4);
    return p ? zc_le32 (p) : 0;
}

uint64_t
zc_reader_u64 (zc_reader_t *self)
{
    const uint8_t *p = zc_reader_skip (self, 8);
    return p ? zc_le64 (p) : 0;
}

uint64_t
zc_reader_varint (zc_reader_t *self, uint64_t max)
{
    uint8_t first = zc_reader_u8 (self);
    uint64_t v, min;
    if (first < 0xfd) {
        v = first;
        min = 0;
    }
    else
    if (first == 0xfd) {
        const uint8_t *p = zc_reader_skip (self, 2);
        v = p ? (uint64_t) p [0] | (uint64_t) p [1] << 8 : 0;
        min = 0xfd;
    }
    else
    if (first == 0xfe) {
        v = zc_reader_u32 (self);
        min = 0x10000;
    }
    else {
        v = zc_reader_u64 (self);
        min = 0x100000000ULL;
    }
    if (self->bad || v < min || v > max) {
        self->bad = true;
        return 0;
    }
    return v;
}

size_t
zc_reader_left (const zc_reader_t *self)
{
    return self->bad ? 0 : self->size - self->pos;
}

void
zc_writer_init (zc_writer_t *self, size_t hint)
{
    memset (self, 0, sizeof *self);
    self->capacity = hint ? hint : 64;
    self->data = malloc (self->capacity);
    if (!self->data) {
        self->capacity = 0;
        self->bad = true;
    }
}

void
zc_writer_init_fixed (zc_writer_t *self, uint8_t *buf, size_t capacity)
{
    memset (self, 0, sizeof *self);
    self->data = buf;
    self->capacity = capacity;
    self->fixed = true;
}

void
zc_writer_free (zc_writer_t *self)
{
    if (!self->fixed)
        free (self->data);
    self->data = NULL;
    self->size = self->capacity = 0;
}

static bool
s_room (zc_writer_t *self, size_t more)
{
    if (self->bad)
        return false;
    if (more <= self->capacity - self->size)
        return true;
    if (self->fixed) {
        self->bad = true;
        return false;
    }
    size_t want = self->capacity * 2;
    if (want < self->size + more)
        want = self->size + more;
    uint8_t *grown = realloc (self->data, want);
    if (!grown) {
        self->bad = true;
        return false;
    }
    self->data = grown;
    self->capacity = want;
    return true;
}

void
zc_writer_bytes (zc_writer_t *self, const void *data, size_t size)
{
    if (size && s_room (self, size)) {
        memcpy (self->data + self->size, data, size);
        self->size += size;
    }
}

void
zc_writer_u8 (zc_writer_t *self, uint8_t v)
{
    zc_writer_bytes (self, &v, 1);
}

void
zc_writer_u32 (zc_writer_t *self, uint32_t v)
{
    uint8_t b [4];
    zc_put_le32 (b, v);
    zc_writer_bytes (self, b, 4);
}

void
zc_writer_u64 (zc_writer_t *self, uint64_t v)
{
    uint8_t b [8];
    zc_put_le64 (b, v);
    zc_writer_bytes (self, b, 8);
}

size_t
zc_varint_size (uint64_t v)
{
    return v < 0xfd ? 1 : v <= 0xffff ? 3 : v <= 0xffffffffULL ? 5 : 9;
}

void
zc_writer_varint (zc_writer_t *self, uint64_t v)
{
    if (v < 0xfd)
        zc_writer_u8 (self, (uint8_t) v);
    else
    if (v <= 0xffff) {
        uint8_t b [3] = { 0xfd, (uint8_t) v, (uint8_t) (v >> 8) };
        zc_writer_bytes (self, b, 3);
    }
    else
    if (v <= 0xffffffffULL) {
        zc_writer_u8 (self, 0xfe);
        zc_writer_u32 (self, (uint32_t) v);
    }
    else {
        zc_writer_u8 (self, 0xff);
        zc_writer_u64 (self, v);
    }
}
