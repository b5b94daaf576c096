/*  zc_keytable.c - open-addressing tables of binary keys, keys in the slots */
#include "zc_keytable.h"
#include "zc_hashkey.h"

#include <stdlib.h>
#include <string.h>

#define S_MIN_CAPACITY 64

//  A slot: the value (NULL: empty), the key's hash, the key
typedef struct {
    void *value;
    uint64_t hash;
    uint8_t key [];
} s_slot_t;

struct _zc_keytable_t {
    uint8_t *slots;
    size_t slot_size;                   //  bytes a slot takes, a multiple of 8
    size_t key_size;
    size_t capacity;                    //  slots, a power of two
    size_t size;                        //  keys stored
};

static inline s_slot_t *
s_at (const zc_keytable_t *self, size_t i)
{
    return (s_slot_t *) (self->slots + i * self->slot_size);
}

//  The slot holding key (its hash h), or the empty slot ending its run
static s_slot_t *
s_find (const zc_keytable_t *self, const void *key, uint64_t h)
{
    size_t mask = self->capacity - 1;
    for (size_t i = (size_t) h & mask; ; i = (i + 1) & mask) {
        s_slot_t *slot = s_at (self, i);
        if (!slot->value || (slot->hash == h && !memcmp (slot->key, key, self->key_size)))
            return slot;
    }
}

static int
s_resize (zc_keytable_t *self, size_t capacity)
{
    uint8_t *slots = calloc (capacity, self->slot_size);
    if (!slots)
        return -1;
    zc_keytable_t grown = *self;
    grown.slots = slots;
    grown.capacity = capacity;
    for (size_t i = 0; i < self->capacity; i++) {
        s_slot_t *from = s_at (self, i);
        if (from->value)
            memcpy (s_find (&grown, from->key, from->hash), from, self->slot_size);
    }
    free (self->slots);
    self->slots = slots;
    self->capacity = capacity;
    return 0;
}

zc_keytable_t *
zc_keytable_new (size_t key_size)
{
    if (key_size != ZC_HASHKEY_HASH && key_size != ZC_HASHKEY_OUTPOINT)
        return NULL;
    zc_keytable_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->key_size = key_size;
    self->slot_size = (sizeof (s_slot_t) + key_size + 7) & ~(size_t) 7;
    self->capacity = S_MIN_CAPACITY;
    self->slots = calloc (self->capacity, self->slot_size);
    if (!self->slots) {
        free (self);
        return NULL;
    }
    return self;
}

void
zc_keytable_destroy (zc_keytable_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->slots);
    free (*self_p);
    *self_p = NULL;
}

void *
zc_keytable_lookup (const zc_keytable_t *self, const void *key)
{
    return s_find (self, key, zc_hashkey_hash (key, self->key_size))->value;
}

int
zc_keytable_reserve (zc_keytable_t *self, size_t n)
{
    size_t capacity = self->capacity;
    while ((self->size + n) * 4 > capacity * 3) {
        if (capacity > SIZE_MAX / 2 / self->slot_size)
            return -1;
        capacity *= 2;
    }
    return capacity == self->capacity ? 0 : s_resize (self, capacity);
}

//  Store value under key; replace decides what an existing key gets
static int
s_store (zc_keytable_t *self, const void *key, void *value, bool replace)
{
    uint64_t h = zc_hashkey_hash (key, self->key_size);
    s_slot_t *slot = s_find (self, key, h);
    if (slot->value) {
        if (!replace)
            return -1;
        slot->value = value;
        return 0;
    }
    if ((self->size + 1) * 4 > self->capacity * 3) {
        if (zc_keytable_reserve (self, 1))
            return -1;
        slot = s_find (self, key, h);
    }
    slot->value = value;
    slot->hash = h;
    memcpy (slot->key, key, self->key_size);
    self->size++;
    return 0;
}

int
zc_keytable_update (zc_keytable_t *self, const void *key, void *value)
{
    return value ? s_store (self, key, value, true) : -1;
}

int
zc_keytable_insert (zc_keytable_t *self, const void *key, void *value)
{
    return value ? s_store (self, key, value, false) : -1;
}

//  Empty the slot hole (it holds a key) and shift the rest of its run back
static void
s_clear (zc_keytable_t *self, s_slot_t *hole)
{
    //  shift the rest of the run back: an entry moves into the hole when
    //  the hole lies between its home slot and where it sits
    size_t mask = self->capacity - 1;
    size_t i = (size_t) ((uint8_t *) hole - self->slots) / self->slot_size;
    for (size_t j = (i + 1) & mask; ; j = (j + 1) & mask) {
        s_slot_t *next = s_at (self, j);
        if (!next->value)
            break;
        size_t home = (size_t) next->hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            memcpy (s_at (self, i), next, self->slot_size);
            i = j;
        }
    }
    s_at (self, i)->value = NULL;
    self->size--;
}

void *
zc_keytable_delete (zc_keytable_t *self, const void *key)
{
    s_slot_t *slot = s_find (self, key, zc_hashkey_hash (key, self->key_size));
    void *value = slot->value;
    if (value)
        s_clear (self, slot);
    return value;
}

bool
zc_keytable_remove (zc_keytable_t *self, const void *key, const void *value)
{
    s_slot_t *slot = s_find (self, key, zc_hashkey_hash (key, self->key_size));
    if (!slot->value || slot->value != value)
        return false;
    s_clear (self, slot);
    return true;
}

void
zc_keytable_purge (zc_keytable_t *self)
{
    memset (self->slots, 0, self->capacity * self->slot_size);
    self->size = 0;
}

void *
zc_keytable_next (const zc_keytable_t *self, size_t *cursor)
{
    for (size_t i = *cursor; i < self->capacity; i++) {
        void *value = s_at (self, i)->value;
        if (value) {
            *cursor = i + 1;
            return value;
        }
    }
    *cursor = self->capacity;
    return NULL;
}

size_t
zc_keytable_size (const zc_keytable_t *self)
{
    return self->size;
}

size_t
zc_keytable_bytes (const zc_keytable_t *self)
{
    return self->capacity * self->slot_size;
}
