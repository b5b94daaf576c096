/*  fuzz_wallet.c - libFuzzer: a wallet file and a backup phrase, hostile
 *
 *  The first byte chooses: a phrase for zc_bip39_check (and, when it is
 *  valid, the round trip through its entropy's words), or a wallet file
 *  for zc_wallet_load (written to a private temporary file). Neither may
 *  crash, leak or accept what it cannot use: a loaded wallet's keys and
 *  payments must all be there to read.
 */
#include "zc_bip39.h"
#include "zc_wallet.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_phrase (const uint8_t *data, size_t size)
{
    char *phrase = malloc (size + 1);
    if (!phrase)
        return;
    memcpy (phrase, data, size);
    phrase [size] = 0;
    char err [256], canonical [ZC_BIP39_PHRASE_MAX];
    if (zc_bip39_check (phrase, err, sizeof err) == 0) {
        //  valid: it has a canonical form, which is valid too
        if (zc_bip39_normalize (phrase, canonical, sizeof canonical)
        ||  zc_bip39_check (canonical, err, sizeof err))
            abort ();
    }
    else
    if (!err [0])
        abort ();                       //  a refusal always says why
    free (phrase);
}

static void
s_file (const uint8_t *data, size_t size)
{
    char path [] = "/tmp/fuzz-wallet-XXXXXX";
    int fd = mkstemp (path);
    if (fd < 0)
        return;
    fchmod (fd, 0600);
    ssize_t wrote = write (fd, data, size);
    close (fd);
    char err [512];
    zc_wallet_t *w = wrote == (ssize_t) size ? zc_wallet_load (path, err, sizeof err) : NULL;
    if (w) {
        for (size_t i = 0; i < zc_wallet_count (w); i++)
            if (!zc_wallet_pubkey (w, i))
                abort ();
        for (size_t i = 0; i < zc_wallet_tx_count (w); i++)
            if (!zc_wallet_tx (w, i) || (zc_wallet_tx (w, i)->size && !zc_wallet_tx (w, i)->raw))
                abort ();
        zc_wallet_destroy (&w);
    }
    unlink (path);
    char tmp [64];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    unlink (tmp);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data [0] & 1)
        s_phrase (data + 1, size - 1);
    else
        s_file (data + 1, size - 1);
    return 0;
}
