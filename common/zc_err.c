/*  zc_err.c - names of the stable reject reasons */
#include "zc_err.h"
#include "envelope.pb-c.h"

#include <string.h>

//  The C enum mirrors the proto enum; a renumbering on either side fails here.
_Static_assert ((int) ZC_ERR_MALFORMED == (int) ZC__REASON__MALFORMED, "reason numbers");
_Static_assert ((int) ZC_ERR_BAD_SIG == (int) ZC__REASON__BAD_SIG, "reason numbers");
_Static_assert ((int) ZC_ERR_BUSY == (int) ZC__REASON__BUSY, "reason numbers");
_Static_assert ((int) ZC_ERR_INTERNAL == (int) ZC__REASON__INTERNAL, "reason numbers");
_Static_assert ((int) ZC_ERR_TOO_LONG_CHAIN == (int) ZC__REASON__TOO_LONG_CHAIN, "reason numbers");
_Static_assert ((int) ZC_ERR_WITNESS_MISMATCH == (int) ZC__REASON__WITNESS_MISMATCH, "reason numbers");

static const char *s_names [ZC_ERR_COUNT_] = {
    "ok", "malformed", "oversize", "bad_sig", "unknown_input", "double_spend",
    "fee_too_low", "bad_amount", "duplicate_input", "immature_spend",
    "coinbase_tx", "bad_version", "empty", "bad_merkle", "bad_pow", "bad_bits",
    "bad_time", "bad_coinbase", "orphan", "duplicate", "invalid_chain",
    "mempool_full", "busy", "timeout", "not_found", "bad_request",
    "bad_protocol", "wrong_network", "internal", "too_long_chain",
    "storage_full", "unavailable", "too_many_descendants", "package_too_large",
    "dust", "bad_pubkey", "unauthorized", "corruption",
    "insufficient_fee", "witness_mismatch"
};

const char *
zc_err_name (int err)
{
    if (err < 0 || err >= ZC_ERR_COUNT_)
        return "unknown";
    return s_names [err];
}

int
zc_err_from_name (const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < ZC_ERR_COUNT_; i++)
        if (strcmp (s_names [i], name) == 0)
            return i;
    return -1;
}
