/*  zc_err.h - stable reject reasons shared by every check, reply, log and metric
 *
 *  The numbers are the proto enum zc.Reason (proto/envelope.proto) and never
 *  change; zc_err_name gives the lowercase name that logs, metric labels, HTTP
 *  errors and the CLI show.
 */
#ifndef ZC_ERR_H_INCLUDED
#define ZC_ERR_H_INCLUDED

typedef enum {
    ZC_OK = 0,
    ZC_ERR_MALFORMED = 1,
    ZC_ERR_OVERSIZE = 2,
    ZC_ERR_BAD_SIG = 3,
    ZC_ERR_UNKNOWN_INPUT = 4,
    ZC_ERR_DOUBLE_SPEND = 5,
    ZC_ERR_FEE_TOO_LOW = 6,
    ZC_ERR_BAD_AMOUNT = 7,
    ZC_ERR_DUPLICATE_INPUT = 8,
    ZC_ERR_IMMATURE_SPEND = 9,
    ZC_ERR_COINBASE_TX = 10,
    ZC_ERR_BAD_VERSION = 11,
    ZC_ERR_EMPTY = 12,
    ZC_ERR_BAD_MERKLE = 13,
    ZC_ERR_BAD_POW = 14,
    ZC_ERR_BAD_BITS = 15,
    ZC_ERR_BAD_TIME = 16,
    ZC_ERR_BAD_COINBASE = 17,
    ZC_ERR_ORPHAN = 18,
    ZC_ERR_DUPLICATE = 19,
    ZC_ERR_INVALID_CHAIN = 20,
    ZC_ERR_MEMPOOL_FULL = 21,
    ZC_ERR_BUSY = 22,
    ZC_ERR_TIMEOUT = 23,
    ZC_ERR_NOT_FOUND = 24,
    ZC_ERR_BAD_REQUEST = 25,
    ZC_ERR_BAD_PROTOCOL = 26,
    ZC_ERR_WRONG_NETWORK = 27,
    ZC_ERR_INTERNAL = 28,
    ZC_ERR_TOO_LONG_CHAIN = 29,
    ZC_ERR_STORAGE_FULL = 30,
    ZC_ERR_UNAVAILABLE = 31,
    ZC_ERR_TOO_MANY_DESCENDANTS = 32,
    ZC_ERR_PACKAGE_TOO_LARGE = 33,
    ZC_ERR_DUST = 34,
    ZC_ERR_BAD_PUBKEY = 35,
    ZC_ERR_UNAUTHORIZED = 36,
    ZC_ERR_CORRUPTION = 37,
    ZC_ERR_INSUFFICIENT_FEE = 38,
    ZC_ERR_WITNESS_MISMATCH = 39,
    ZC_ERR_COUNT_ = 40              //  number of reasons, for tables and metrics
} zc_err_t;

//  Lowercase stable name of a reason ("bad_sig"); "unknown" for numbers out
//  of range (a newer peer's reason). Never NULL; borrowed.
const char *
    zc_err_name (int err);

//  Reason for a name as zc_err_name prints it; -1 if none.
int
    zc_err_from_name (const char *name);

#endif
