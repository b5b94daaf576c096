/*  zc_hex.c - hexadecimal encoding */
#include "zc_hex.h"

#include <stdlib.h>
#include <string.h>

static int
s_nibble (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *
zc_hex_encode (const uint8_t *data, size_t size, char *out)
{
    static const char digits [] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        out [2 * i] = digits [data [i] >> 4];
        out [2 * i + 1] = digits [data [i] & 15];
    }
    out [2 * size] = 0;
    return out;
}

static int
s_decode (const char *hex, uint8_t *out, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        int hi = s_nibble (hex [2 * i]);
        int lo = s_nibble (hex [2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out [i] = (uint8_t) (hi << 4 | lo);
    }
    return 0;
}

int
zc_hex_decode (const char *hex, uint8_t *out, size_t size)
{
    if (!hex || strlen (hex) != 2 * size)
        return -1;
    return s_decode (hex, out, size);
}

uint8_t *
zc_hex_decode_alloc (const char *hex, size_t max_size, size_t *size_p)
{
    *size_p = 0;
    if (!hex)
        return NULL;
    size_t len = strlen (hex);
    if (len % 2 || len / 2 > max_size)
        return NULL;
    uint8_t *out = malloc (len / 2 ? len / 2 : 1);
    if (!out)
        return NULL;
    if (s_decode (hex, out, len / 2)) {
        free (out);
        return NULL;
    }
    *size_p = len / 2;
    return out;
}
