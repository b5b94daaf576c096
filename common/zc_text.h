/*  zc_text.h - a growing text buffer with printf, and JSON string escaping
 *
 *  For HTTP bodies, JSON and the Prometheus exposition: append, then take
 *  the NUL-terminated result. An allocation failure sets bad and makes
 *  every later append a no-op, so a writer checks once at the end.
 */
#ifndef ZC_TEXT_H_INCLUDED
#define ZC_TEXT_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *data;
    size_t size;
    size_t cap;
    bool bad;
} zc_text_t;

void
    zc_text_init (zc_text_t *self);

void
    zc_text_free (zc_text_t *self);

void
    zc_text_printf (zc_text_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

//  Append s as a JSON string: quoted, with quotes, backslashes and control
//  characters escaped.
void
    zc_text_json_string (zc_text_t *self, const char *s);

//  Append bytes as lowercase hex in quotes.
void
    zc_text_json_hex (zc_text_t *self, const unsigned char *data, size_t size);

//  Take the buffer (NUL-terminated, the caller frees); NULL when bad.
char *
    zc_text_take (zc_text_t *self, size_t *size_p);

#endif
