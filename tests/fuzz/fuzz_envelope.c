/*  fuzz_envelope.c - libFuzzer: envelope decoder; what decodes re-encodes
 *  to an envelope that decodes to the same fields
 */
#include "zc_codec.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zc_env_t env;
    if (zc_env_decode (data, size, &env) != ZC_OK)
        return 0;
    (void) zc_env_check (&env, 0);
    size_t n = zc_env_encoded_size (&env);
    uint8_t *again = malloc (n + 1);
    if (!again || zc_env_encode (&env, again) != n)
        abort ();
    zc_env_t back;
    if (zc_env_decode (again, n, &back) != ZC_OK || back.type != env.type
    ||  back.request_id != env.request_id || back.seq != env.seq
    ||  back.body_size != env.body_size
    ||  (env.body_size && memcmp (back.body, env.body, env.body_size)))
        abort ();
    free (again);
    return 0;
}
