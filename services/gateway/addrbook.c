/*  addrbook.c - known peer addresses, backoff, bans, persistence */
#include "addrbook.h"
#include "zc_time.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct _addrbook_t {
    char *path;
    addrbook_entry_t entry [ADDRBOOK_MAX];
    size_t n;
    bool dirty;
};

//  inproc://NAME: the nodes of one process (zchain propagate); NAME of
//  letters, digits, dots, dashes and underscores
static bool
s_valid_inproc (const char *name)
{
    if (!*name)
        return false;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
           || *c == '.' || *c == '-' || *c == '_'))
            return false;
    return true;
}

bool
addrbook_valid (const char *address)
{
    if (!address || strlen (address) >= ADDRBOOK_ADDRESS_MAX)
        return false;
    if (strncmp (address, "inproc://", 9) == 0)
        return s_valid_inproc (address + 9);
    if (strncmp (address, "tcp://", 6) != 0)
        return false;
    const char *host = address + 6;
    const char *key = strchr (host, '#');
    const char *colon = strrchr (host, ':');
    if (!colon || colon == host || (key && colon > key))
        return false;
    //  host: letters, digits, dots, dashes; port: 1..65535
    for (const char *c = host; c < colon; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')
           || *c == '.' || *c == '-'))
            return false;
    char *end;
    long port = strtol (colon + 1, &end, 10);
    if (port < 1 || port > 65535 || (*end && *end != '#'))
        return false;
    if (key) {                          //  a CURVE public key: 64 hex digits
        if (strlen (key + 1) != 64)
            return false;
        for (const char *c = key + 1; *c; c++)
            if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
                return false;
    }
    //  "*" and 0.0.0.0 are places to bind, not to dial
    return strncmp (host, "0.0.0.0:", 8) != 0;
}

static void
s_load (addrbook_t *self)
{
    FILE *file = fopen (self->path, "r");
    if (!file)
        return;
    char line [ADDRBOOK_ADDRESS_MAX + 64];
    while (self->n < ADDRBOOK_MAX && fgets (line, sizeof line, file)) {
        char address [ADDRBOOK_ADDRESS_MAX];
        unsigned long long seen = 0, banned = 0;
        if (line [0] == '#'
        ||  sscanf (line, "%159s %llu %llu", address, &seen, &banned) < 1
        ||  !addrbook_valid (address)
        ||  addrbook_find (self, address))
            continue;
        addrbook_entry_t *e = &self->entry [self->n++];
        memset (e, 0, sizeof *e);
        snprintf (e->address, sizeof e->address, "%s", address);
        e->last_seen_ms = seen;
        e->banned_until_ms = (int64_t) banned;
        e->backoff_ms = 500;
    }
    fclose (file);
}

addrbook_t *
addrbook_new (const char *path)
{
    addrbook_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    if (path && *path) {
        self->path = strdup (path);
        s_load (self);
    }
    return self;
}

void
addrbook_destroy (addrbook_t **self_p)
{
    addrbook_t *self = *self_p;
    if (self) {
        addrbook_save (self);
        free (self->path);
        free (self);
        *self_p = NULL;
    }
}

addrbook_entry_t *
addrbook_find (addrbook_t *self, const char *address)
{
    for (size_t i = 0; i < self->n; i++)
        if (strcmp (self->entry [i].address, address) == 0)
            return &self->entry [i];
    return NULL;
}

addrbook_entry_t *
addrbook_add (addrbook_t *self, const char *address, bool bootstrap)
{
    if (!addrbook_valid (address))
        return NULL;
    addrbook_entry_t *e = addrbook_find (self, address);
    if (!e && self->n < ADDRBOOK_MAX)
        e = &self->entry [self->n++];
    if (!e) {
        //  full: replace the stalest entry that failed and is not a bootstrap
        addrbook_entry_t *worst = NULL;
        for (size_t i = 0; i < self->n; i++) {
            addrbook_entry_t *c = &self->entry [i];
            if (!c->bootstrap && c->failures > 0 && (!worst || c->last_seen_ms < worst->last_seen_ms))
                worst = c;
        }
        if (!worst)
            return NULL;
        e = worst;
    }
    else
    if (e->address [0]) {
        e->bootstrap |= bootstrap;
        return e;
    }
    memset (e, 0, sizeof *e);
    snprintf (e->address, sizeof e->address, "%s", address);
    e->bootstrap = bootstrap;
    e->backoff_ms = 500;
    self->dirty = true;
    return e;
}

void
addrbook_good (addrbook_t *self, addrbook_entry_t *entry, int64_t now_mono)
{
    entry->last_seen_ms = (uint64_t) zc_now_ms ();
    entry->failures = 0;
    entry->backoff_ms = 500;
    entry->next_attempt_ms = now_mono;
    self->dirty = true;
}

void
addrbook_failed (addrbook_t *self, addrbook_entry_t *entry, int64_t now_mono, int64_t max_backoff_ms)
{
    (void) self;
    entry->failures++;
    int64_t jitter = entry->backoff_ms / 4;
    int64_t wait = entry->backoff_ms - jitter + (jitter ? (int64_t) (random () % (2 * jitter + 1)) : 0);
    entry->next_attempt_ms = now_mono + wait;
    entry->backoff_ms = entry->backoff_ms * 2 > max_backoff_ms ? max_backoff_ms : entry->backoff_ms * 2;
}

void
addrbook_remove (addrbook_t *self, addrbook_entry_t *entry)
{
    size_t i = (size_t) (entry - self->entry);
    if (i >= self->n)
        return;
    self->entry [i] = self->entry [--self->n];
    self->dirty = true;
}

void
addrbook_ban (addrbook_t *self, addrbook_entry_t *entry, uint64_t until_ms)
{
    entry->banned_until_ms = (int64_t) until_ms;
    self->dirty = true;
}

addrbook_entry_t *
addrbook_entries (addrbook_t *self, size_t *n)
{
    *n = self->n;
    return self->entry;
}

int
addrbook_save (addrbook_t *self)
{
    if (!self->path || !self->dirty)
        return 0;
    char tmp [4096];
    snprintf (tmp, sizeof tmp, "%s.tmp", self->path);
    FILE *file = fopen (tmp, "w");
    if (!file)
        return -1;
    fprintf (file, "# zchain known peers: address, last seen (ms), banned until (ms)\n");
    for (size_t i = 0; i < self->n; i++) {
        const addrbook_entry_t *e = &self->entry [i];
        if (!e->self)
            fprintf (file, "%s %llu %llu\n", e->address, (unsigned long long) e->last_seen_ms,
                     (unsigned long long) (e->banned_until_ms > 0 ? e->banned_until_ms : 0));
    }
    bool ok = fflush (file) == 0 && fsync (fileno (file)) == 0;
    ok = fclose (file) == 0 && ok;
    if (!ok || rename (tmp, self->path) != 0) {
        unlink (tmp);
        return -1;
    }
    self->dirty = false;
    return 0;
}
