/*  zc_hex.h - lowercase hexadecimal encoding and strict decoding */
#ifndef ZC_HEX_H_INCLUDED
#define ZC_HEX_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

//  Write 2*size lowercase hex digits and a NUL into out (2*size+1 bytes).
//  Returns out.
char *
    zc_hex_encode (const uint8_t *data, size_t size, char *out);

//  Decode exactly 2*size hex digits (either case) from hex into out. Returns
//  0, or -1 when hex has another length or a non-hex character; out is then
//  unspecified.
int
    zc_hex_decode (const char *hex, uint8_t *out, size_t size);

//  Decode a hex string of any even length into a new buffer the caller
//  frees; stores its length in *size_p. NULL on a bad digit, an odd length,
//  or more than max_size bytes.
uint8_t *
    zc_hex_decode_alloc (const char *hex, size_t max_size, size_t *size_p);

#endif
