/*  zc_text.c - growing text buffer */
#include "zc_text.h"
#include "zc_hex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
zc_text_init (zc_text_t *self)
{
    memset (self, 0, sizeof *self);
    self->cap = 256;
    self->data = malloc (self->cap);
    if (self->data)
        self->data [0] = 0;
    else
        self->bad = true;
}

void
zc_text_free (zc_text_t *self)
{
    free (self->data);
    memset (self, 0, sizeof *self);
}

static bool
s_room (zc_text_t *self, size_t more)
{
    if (self->bad)
        return false;
    if (self->size + more + 1 <= self->cap)
        return true;
    size_t cap = (self->size + more + 1) * 2;
    char *grown = realloc (self->data, cap);
    if (!grown) {
        self->bad = true;
        return false;
    }
    self->data = grown;
    self->cap = cap;
    return true;
}

void
zc_text_printf (zc_text_t *self, const char *format, ...)
{
    if (self->bad)
        return;
    va_list args;
    va_start (args, format);
    int n = vsnprintf (self->data + self->size, self->cap - self->size, format, args);
    va_end (args);
    if (n < 0) {
        self->bad = true;
        return;
    }
    if ((size_t) n >= self->cap - self->size) {
        if (!s_room (self, (size_t) n))
            return;
        va_start (args, format);
        vsnprintf (self->data + self->size, self->cap - self->size, format, args);
        va_end (args);
    }
    self->size += (size_t) n;
}

void
zc_text_json_string (zc_text_t *self, const char *s)
{
    zc_text_printf (self, "\"");
    for (const unsigned char *p = (const unsigned char *) (s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            zc_text_printf (self, "\\%c", *p);
        else
        if (*p < 0x20)
            zc_text_printf (self, "\\u%04x", *p);
        else
            zc_text_printf (self, "%c", *p);
    }
    zc_text_printf (self, "\"");
}

void
zc_text_json_hex (zc_text_t *self, const unsigned char *data, size_t size)
{
    if (!s_room (self, 2 * size + 2))
        return;
    self->data [self->size++] = '"';
    zc_hex_encode (data, size, self->data + self->size);
    self->size += 2 * size;
    self->data [self->size++] = '"';
    self->data [self->size] = 0;
}

char *
zc_text_take (zc_text_t *self, size_t *size_p)
{
    if (self->bad) {
        zc_text_free (self);
        return NULL;
    }
    char *data = self->data;
    if (size_p)
        *size_p = self->size;
    memset (self, 0, sizeof *self);
    return data;
}
