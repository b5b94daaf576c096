#!/usr/bin/env python3
# protocol-reference.py - the rules of docs/protocol.md, written again from the document
#
#     python3 docs/protocol-reference.py [--doc docs/protocol.md] [--known-answers FILE]
#
# An independent implementation, in the standard library only, of every rule
# the document states that needs no chain database: encodings, hashes,
# merkle roots, compact targets, work and retargeting, the median time,
# subsidy and maturity, the context-free checks of transactions, headers and
# blocks (with their reject reasons), the relay policy (dust, fee rate, keys
# that are not points), addresses (bech32m) and signature hashes, with its
# own BIP340 signer.
#
# It checks two things and exits non-zero on the first difference:
#  - the document's known answers (the table and hex blocks under "Known
#    answers"): every row is recomputed here, a row it does not know fails;
#  - with --known-answers, the lines tests/test_protocol_reference.c wrote
#    from the C functions ("kind args = results"): every line is recomputed,
#    an unknown kind fails, and each kind must appear.
# ctest runs both (the test protocol_reference).
import argparse, hashlib, re, struct, sys

# ---------------------------------------------------------------------------
# primitives (Conventions)
def sha(b): return hashlib.sha256(b).digest()
def sha2(b): return sha(sha(b))
def tagged(tag, m): t = sha(tag.encode()); return sha(t + t + m)
def u32(n): return struct.pack('<I', n)
def u64(n): return struct.pack('<Q', n)

def varint(n):
    if n < 0xfd: return bytes([n])
    if n <= 0xffff: return b'\xfd' + struct.pack('<H', n)
    if n <= 0xffffffff: return b'\xfe' + struct.pack('<I', n)
    return b'\xff' + struct.pack('<Q', n)

COIN = 100_000_000
MAX_MONEY = 21_000_000 * COIN
TX_MAX_BYTES = 100_000
BLOCK_MAX_BYTES = 8_000_000
TX_MIN_BYTES = 6
HEADER = 80
OUTPOINT, TXOUT, SIG = 36, 40, 64
COINBASE_INDEX = 0xffffffff
NUMS = bytes.fromhex("50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0")

NETS = {
    'regtest': dict(hrp='zcrt', limit=0x207fffff, retarget=False, spacing=1, interval=1,
                    maturity=10, halving=100_000, future=7200),
    'devnet': dict(hrp='zc', limit=0x1e7fffff, retarget=True, spacing=10, interval=30,
                   maturity=100, halving=210_000, future=7200),
}
GENESIS_TIME = 1767225600

class Bad(Exception):
    """A decode failure, with its reason"""
    def __init__(self, reason): self.reason = reason

class Reader:
    # a read that does not fit leaves the position where it was
    def __init__(self, data, pos=0): self.data, self.pos = data, pos
    def left(self): return len(self.data) - self.pos
    def take(self, n):
        if n > self.left(): raise Bad('malformed')
        b = self.data[self.pos:self.pos + n]; self.pos += n; return b
    def varint(self, most):
        first = self.take(1)[0]
        if first < 0xfd: v, least = first, 0
        elif first == 0xfd: v, least = struct.unpack('<H', self.take(2))[0], 0xfd
        elif first == 0xfe: v, least = struct.unpack('<I', self.take(4))[0], 0x10000
        else: v, least = struct.unpack('<Q', self.take(8))[0], 0x100000000
        if v < least or v > most: raise Bad('malformed')
        return v

# ---------------------------------------------------------------------------
# transactions
class Tx:
    pass

def is_coinbase(tx):
    # the shape, wherever the transaction stands
    return len(tx.ins) == 1 and tx.ins[0][1] == COINBASE_INDEX

def tx_base(tx):
    b = u32(tx.version) + varint(len(tx.ins))
    for prev, index, _ in tx.ins: b += prev + u32(index)
    b += varint(len(tx.outs))
    for amount, key in tx.outs: b += u64(amount) + key
    return b

def tx_bytes(tx):
    b = tx_base(tx)
    if not is_coinbase(tx):
        for _, _, sig in tx.ins: b += sig
    return b

def read_tx(r):
    start = r.pos
    try:
        tx = Tx()
        tx.version = struct.unpack('<I', r.take(4))[0]
        n_in = r.varint(r.left() // OUTPOINT)
        raw_in = r.take(n_in * OUTPOINT)
        n_out = r.varint(r.left() // TXOUT)
        raw_out = r.take(n_out * TXOUT)
    except Bad:
        raise Bad('oversize' if r.pos - start > TX_MAX_BYTES else 'malformed')
    base_end = r.pos
    ins = [(raw_in[i * 36:i * 36 + 32], struct.unpack('<I', raw_in[i * 36 + 32:i * 36 + 36])[0])
           for i in range(n_in)]
    coinbase = n_in == 1 and ins[0][1] == COINBASE_INDEX
    sigs = b'' if coinbase else r.take(n_in * SIG)      # short: malformed
    if r.pos - start > TX_MAX_BYTES: raise Bad('oversize')
    tx.ins = [(p, i, sigs[k * 64:k * 64 + 64] if not coinbase else b'') for k, (p, i) in enumerate(ins)]
    tx.outs = [(struct.unpack('<Q', raw_out[o * 40:o * 40 + 8])[0], raw_out[o * 40 + 8:o * 40 + 40])
               for o in range(n_out)]
    raw = r.data[start:r.pos]
    tx.base_size, tx.size = base_end - start, len(raw)
    tx.txid, tx.wtxid = sha2(raw[:tx.base_size]), sha2(raw)
    return tx

def decode_tx(data):
    if len(data) == 0: raise Bad('malformed')
    if len(data) > TX_MAX_BYTES: raise Bad('oversize')
    r = Reader(data)
    tx = read_tx(r)
    if r.left(): raise Bad('malformed')
    return tx

def check_tx(tx):
    if tx.version != 1: return 'bad_version'
    if not tx.ins or not tx.outs: return 'empty'
    if tx.size > TX_MAX_BYTES: return 'oversize'
    total = 0
    for amount, _ in tx.outs:
        total += amount
        if amount > MAX_MONEY or total > MAX_MONEY: return 'bad_amount'
    points = [(p, i) for p, i, _ in tx.ins]
    if len(set(points)) != len(points): return 'duplicate_input'
    return 'ok'

def check_loose_tx(tx):
    rc = check_tx(tx)
    return rc if rc != 'ok' else 'coinbase_tx' if is_coinbase(tx) else 'ok'

# ---------------------------------------------------------------------------
# relay policy
P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

def lift_x(key):
    x = int.from_bytes(key, 'big')
    if x >= P: return None
    c = (pow(x, 3, P) + 7) % P
    y = pow(c, (P + 1) // 4, P)
    if y * y % P != c: return None
    return (x, y if y % 2 == 0 else P - y)

U64_MAX = 2 ** 64 - 1
DUST_SPEND = TXOUT + OUTPOINT + SIG          # 140

def dust_threshold(rate):
    if 140 * rate + 999 > U64_MAX: return U64_MAX   # the cost does not fit: all is dust
    return max(1, -(-DUST_SPEND * rate // 1000))

def check_standard(tx, rate):
    dust = dust_threshold(rate)
    if any(amount < dust for amount, _ in tx.outs): return 'dust'
    if any(lift_x(key) is None for _, key in tx.outs): return 'bad_pubkey'
    return 'ok'

def fee_rate(fee, size): return fee * 1000 // size if size else 0

# ---------------------------------------------------------------------------
# proof of work
def bits_to_target(bits):
    e, m = bits >> 24, bits & 0x007fffff
    if bits & 0x00800000: return None
    t = m >> 8 * (3 - e) if e <= 3 else m << 8 * (e - 3)
    if t == 0 or t >= 2 ** 256: return None
    return t

def target_to_bits(t):
    size = (t.bit_length() + 7) // 8
    m = t << 8 * (3 - size) if size <= 3 else t >> 8 * (size - 3)
    if m & 0x00800000: m >>= 8; size += 1
    return size << 24 | m

def work(bits): return 2 ** 256 // (bits_to_target(bits) + 1)

def pow_ok(h, bits, limit_bits):
    t, lim = bits_to_target(bits), bits_to_target(limit_bits)
    return t is not None and t <= lim and int.from_bytes(h, 'big') <= t

def retarget(last_bits, actual, expected, limit_bits):
    lim, t = bits_to_target(limit_bits), bits_to_target(last_bits)
    if expected <= 0 or lim is None or t is None: return limit_bits
    quarter = expected // 4                  # expected > 0: floor is C's truncation
    actual = min(max(actual, quarter), expected * 4)
    t = t * actual
    if t >= 2 ** 256: return limit_bits
    t //= expected
    if t > lim or t == 0: return limit_bits  # capped before it is encoded
    return target_to_bits(t)

def next_bits(net, height, parent_bits, first_time, last_time):
    p = NETS[net]
    if not p['retarget'] or height == 0: return p['limit']
    if height % p['interval']: return parent_bits
    return retarget(parent_bits, last_time - first_time, p['spacing'] * (p['interval'] - 1),
                    p['limit'])

def median_time(times):
    last = sorted(times[-11:])
    return last[len(last) // 2] if last else 0

def subsidy(net, height):
    h = height // NETS[net]['halving']
    return 0 if h >= 64 else (50 * COIN) >> h

def mature(coinbase, height, spend, maturity):
    return not coinbase or (spend >= height and spend - height >= maturity)

# ---------------------------------------------------------------------------
# headers and blocks
def merkle(wtxids):
    level = [sha(b'\x00' + w) for w in wtxids]
    if not level: return bytes(32)
    while len(level) > 1:
        up = [sha(b'\x01' + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2: up.append(level[-1])
        level = up
    return level[0]

def header(version, prev, root, time, bits, nonce):
    return u32(version) + prev + root + struct.pack('<III', time, bits, nonce)

def check_header(raw, net, now):
    version, = struct.unpack('<I', raw[:4])
    time, bits = struct.unpack('<II', raw[68:76])
    p = NETS[net]
    if version != 1: return 'bad_version'
    t = bits_to_target(bits)
    if t is None or t > bits_to_target(p['limit']): return 'bad_bits'
    if not pow_ok(sha2(raw), bits, p['limit']): return 'bad_pow'
    if time > now + p['future']: return 'bad_time'
    return 'ok'

def check_context(height, median, required_bits, bits, time):
    if bits != required_bits: return 'bad_bits'          # the u32 itself
    if height > 0 and time <= median: return 'bad_time'
    return 'ok'

def decode_block(data):
    if len(data) < HEADER + 1: raise Bad('malformed')
    if len(data) > BLOCK_MAX_BYTES: raise Bad('oversize')
    r = Reader(data, HEADER)
    n = r.varint(r.left() // TX_MIN_BYTES)
    txs = [read_tx(r) for _ in range(n)]
    if r.left(): raise Bad('malformed')
    return data[:HEADER], txs

def check_block(data, net, now):
    raw, txs = decode_block(data)
    rc = check_header(raw, net, now)
    if rc != 'ok': return rc
    if len(data) > BLOCK_MAX_BYTES: return 'oversize'
    if not txs: return 'empty'
    if not is_coinbase(txs[0]): return 'bad_coinbase'
    if any(is_coinbase(tx) for tx in txs[1:]): return 'coinbase_tx'
    for tx in txs:
        rc = check_tx(tx)
        if rc != 'ok': return rc
    if merkle([tx.wtxid for tx in txs]) != raw[36:68]: return 'bad_merkle'
    if len({tx.txid for tx in txs}) != len(txs): return 'bad_merkle'
    return 'ok'

def coinbase_tx(height, extranonce, amount, key):
    tx = Tx()
    tx.version = 1
    tx.ins = [(u32(height) + u64(extranonce) + bytes(20), COINBASE_INDEX, b'')]
    tx.outs = [(amount, key)]
    return tx_bytes(tx)

def genesis(net, nonce):
    cb = coinbase_tx(0, 0, 0, NUMS)
    h = header(1, bytes(32), merkle([sha2(cb)]), GENESIS_TIME, NETS[net]['limit'], nonce)
    return h + varint(1) + cb

# ---------------------------------------------------------------------------
# signatures (BIP340, from the BIP's math)
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)

def point_add(a, b):
    if a is None: return b
    if b is None: return a
    if a[0] == b[0] and a[1] != b[1]: return None
    if a == b: lam = 3 * a[0] * a[0] * pow(2 * a[1], P - 2, P) % P
    else: lam = (b[1] - a[1]) * pow(b[0] - a[0], P - 2, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)

def point_mul(pt, k):
    r = None
    while k:
        if k & 1: r = point_add(r, pt)
        pt = point_add(pt, pt); k >>= 1
    return r

def xonly(sk): return point_mul(G, sk)[0].to_bytes(32, 'big')

def sign(sk, msg, aux):
    pub = point_mul(G, sk)
    d = sk if pub[1] % 2 == 0 else N - sk
    t = (d ^ int.from_bytes(tagged("BIP0340/aux", aux), 'big')).to_bytes(32, 'big')
    k0 = int.from_bytes(tagged("BIP0340/nonce", t + pub[0].to_bytes(32, 'big') + msg), 'big') % N
    rp = point_mul(G, k0)
    k = k0 if rp[1] % 2 == 0 else N - k0
    e = int.from_bytes(tagged("BIP0340/challenge", rp[0].to_bytes(32, 'big')
                              + pub[0].to_bytes(32, 'big') + msg), 'big') % N
    return rp[0].to_bytes(32, 'big') + ((k + e * d) % N).to_bytes(32, 'big')

def sighash(txid, genesis_hash, spent, index):
    spent_hash = sha(b''.join(u64(amount) + key for amount, key in spent))
    return tagged("ZChain/SigHash", genesis_hash + txid + spent_hash + u32(index))

# ---------------------------------------------------------------------------
# addresses (BIP173 / BIP350)
CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M = 0x2bc830a3

def polymod(values):
    gen = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1ffffff) << 5 ^ v
        for i in range(5):
            if top >> i & 1: chk ^= gen[i]
    return chk

def hrp_expand(hrp): return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]

def convert_bits(data, frm, to, pad):
    acc = bits = 0; out = []
    for v in data:
        acc = acc << frm | v; bits += frm
        while bits >= to:
            bits -= to; out.append(acc >> bits & (1 << to) - 1)
    if pad:
        if bits: out.append(acc << to - bits & (1 << to) - 1)
    elif bits >= frm or acc << to - bits & (1 << to) - 1:
        return None
    return out

def address(net, key):
    hrp = NETS[net]['hrp']
    data = [1] + convert_bits(key, 8, 5, True)
    chk = polymod(hrp_expand(hrp) + data + [0] * 6) ^ BECH32M
    return hrp + '1' + ''.join(CHARSET[d] for d in data) + \
        ''.join(CHARSET[chk >> 5 * (5 - i) & 31] for i in range(6))

def address_decode(net, s):
    """(reason, key or None)"""
    bad = ('malformed', None)
    if not 8 <= len(s) <= 90 or any(not 33 <= ord(c) <= 126 for c in s): return bad
    if s.lower() != s and s.upper() != s: return bad
    s = s.lower()
    hrp, _, data = s.rpartition('1')
    if not hrp or len(data) < 6 or any(c not in CHARSET for c in data): return bad
    values = [CHARSET.index(c) for c in data]
    if polymod(hrp_expand(hrp) + values) != BECH32M: return bad    # bech32 too
    values = values[:-6]
    if not values or values[0] != 1: return bad
    prog = convert_bits(values[1:], 5, 8, False)
    if prog is None or len(prog) != 32 or lift_x(bytes(prog)) is None: return bad
    if hrp != NETS[net]['hrp']: return ('wrong_network', None)
    return ('ok', bytes(prog))

# ---------------------------------------------------------------------------
# the C's known answers: each kind recomputes "args = results"
def h(s): return bytes.fromhex(s) if s != '-' else b''

def kat_tx(a):
    try:
        tx = decode_tx(h(a[0]))
    except Bad as e:
        return [e.reason]
    return ['ok', tx.txid.hex(), tx.wtxid.hex(), str(tx.base_size), str(tx.size),
            str(int(is_coinbase(tx))), str(len(tx.ins)), str(len(tx.outs))]

def kat_check_tx(a):
    tx = decode_tx(h(a[0]))
    return [check_tx(tx), check_loose_tx(tx)]

def kat_block(a):
    data = h(a[2])
    try:
        rc = check_block(data, a[0], int(a[1]))
    except Bad as e:
        return [e.reason]
    _, txs = decode_block(data)
    return [rc, sha2(data[:HEADER]).hex(), merkle([tx.wtxid for tx in txs]).hex()]

def kat_bits_to_target(a):
    t = bits_to_target(int(a[0], 16))
    return ['invalid' if t is None else '%064x' % t]

LIMITS = {
    # the largest counts, from the byte limits alone: a count has no limit of its own
    'tx_max_bytes': TX_MAX_BYTES,
    'block_max_bytes': BLOCK_MAX_BYTES,
    # one output (the least a valid transaction has); 999 >= 0xfd: a 3-byte count
    'tx_inputs': (TX_MAX_BYTES - 4 - 3 - 1 - TXOUT) // (OUTPOINT + SIG),
    # one signed input
    'tx_outputs': (TX_MAX_BYTES - 4 - 1 - OUTPOINT - SIG - 3) // TXOUT,
    'coinbase_outputs': (TX_MAX_BYTES - 4 - 1 - OUTPOINT - 3) // TXOUT,
    # a coinbase of one output (82 bytes), then 1-in 1-out transactions of 146
    'block_txs': 1 + (BLOCK_MAX_BYTES - HEADER - 3 - 82) // (82 + SIG),
}

def kat_sighash(a):
    tx = decode_tx(h(a[0]))
    spent = [(int(s.split(':')[0]), h(s.split(':')[1])) for s in a[2].split(',')]
    return [sighash(tx.txid, h(a[1]), spent, int(a[3])).hex()]

def kat_address_decode(a):
    rc, key = address_decode(a[0], a[1])
    return [rc] + ([key.hex()] if key else [])

def kat_genesis(a):
    # the whole block from its network and the nonce the document lists
    raw = genesis(a[0], int(DOC['%s genesis nonce' % a[0]]))
    return [raw.hex(), sha2(raw[:HEADER]).hex()]

KINDS = {
    'tx': kat_tx,
    'check_tx': kat_check_tx,
    'standard': lambda a: [check_standard(decode_tx(h(a[0])), int(a[1]))],
    'dust': lambda a: [str(dust_threshold(int(a[0])))],
    'fee_rate': lambda a: [str(fee_rate(int(a[0]), int(a[1])))],
    'pubkey': lambda a: [str(int(lift_x(h(a[0])) is not None))],
    'limit': lambda a: [str(LIMITS[a[0]])],
    'merkle': lambda a: [merkle([h(x) for x in a[0].split(',')]).hex()],
    'bits_to_target': kat_bits_to_target,
    'target_to_bits': lambda a: ['%08x' % target_to_bits(int(a[0], 16))],
    'work': lambda a: ['%064x' % work(int(a[0], 16))],
    'retarget': lambda a: ['%08x' % retarget(int(a[0], 16), int(a[1]), int(a[2]), int(a[3], 16))],
    'next_bits': lambda a: ['%08x' % next_bits(a[0], int(a[1]), int(a[2], 16), int(a[3]), int(a[4]))],
    'median': lambda a: [str(median_time([int(t) for t in a[0].split(',')]))],
    # the parent's time and the ten before it (fewer near genesis): the times
    # given run from genesis to the parent
    'median_chain': lambda a: [str(median_time([int(t) for t in a[0].split(',')]))],
    'check_header': lambda a: [check_header(h(a[2]), a[0], int(a[1])), sha2(h(a[2])).hex()],
    'context': lambda a: [check_context(int(a[0]), int(a[1]), int(a[2], 16), int(a[3], 16), int(a[4]))],
    'block': kat_block,
    'subsidy': lambda a: [str(subsidy(a[0], int(a[1])))],
    'mature': lambda a: [str(int(mature(a[0] == '1', int(a[1]), int(a[2]), int(a[3]))))],
    'address': lambda a: [address(a[0], h(a[1]))],
    'address_decode': kat_address_decode,
    'sighash': kat_sighash,
    'genesis': kat_genesis,
}

def check_known_answers(path):
    counts = {k: 0 for k in KINDS}
    failures = 0
    with open(path) as f:
        lines = [l.rstrip('\n') for l in f if l.strip()]
    for number, line in enumerate(lines, 1):
        left, sep, right = line.partition(' = ')
        words = left.split(' ')
        kind, args, want = words[0], words[1:], right.split(' ')
        if not sep or kind not in KINDS:
            print('%s:%d: not a known kind of answer: %.80s' % (path, number, line))
            failures += 1
            continue
        try:
            got = KINDS[kind](args)
        except (Bad, KeyError, ValueError, IndexError) as e:
            got = ['exception', repr(e)]
        counts[kind] += 1
        if got != want:
            print('%s:%d: %s\n    C:         %.200s\n    reference: %.200s'
                  % (path, number, left[:120], ' '.join(want), ' '.join(got)))
            failures += 1
    missing = [k for k, n in counts.items() if n == 0]
    if missing:
        print('%s: no answers of kind %s' % (path, ', '.join(missing)))
        failures += 1
    print('known answers: %d lines, %d kinds, %d differ' % (len(lines), len(counts), failures))
    return failures

# ---------------------------------------------------------------------------
# the document's own known answers
DOC = {}

def example_tx(genesis_hash):
    spent_key, pay_key = xonly(3), xonly(1)
    tx = Tx()
    tx.version = 1
    tx.ins = [(b'\x11' * 32, 1, b'')]
    tx.outs = [(50 * COIN, pay_key), (999_000_000, NUMS)]
    txid = sha2(tx_base(tx))
    msg = sighash(txid, genesis_hash, [(60 * COIN, spent_key)], 0)
    tx.ins = [(b'\x11' * 32, 1, sign(3, msg, bytes(32)))]
    return tx, txid, msg

def doc_answers():
    """name -> the value this implementation computes for it"""
    reg = genesis('regtest', 0)
    dev = genesis('devnet', 100082)
    reg_hash = sha2(reg[:HEADER])
    tx, txid, msg = example_tx(reg_hash)
    full = tx_bytes(tx)
    cb1 = coinbase_tx(1, 0, 51 * COIN, xonly(1))
    root = merkle([sha2(cb1), sha2(full)])
    nonce = 0
    while not pow_ok(sha2(header(1, reg_hash, root, GENESIS_TIME + 1, 0x207fffff, nonce)),
                     0x207fffff, 0x207fffff):
        nonce += 1
    hdr = header(1, reg_hash, root, GENESIS_TIME + 1, 0x207fffff, nonce)
    key1 = xonly(1).hex()
    return {
        'regtest genesis nonce': '0',
        'regtest genesis hash': reg_hash.hex(),
        'devnet genesis nonce': '100082',
        'devnet genesis hash': sha2(dev[:HEADER]).hex(),
        'regtest genesis block': reg.hex(),
        'transaction txid': txid.hex(),
        'transaction signature hash of input 0': msg.hex(),
        'transaction wtxid': sha2(full).hex(),
        'transaction bytes': full.hex(),
        'transaction size': str(len(full)),
        'block nonce': str(nonce),
        'block merkle root': root.hex(),
        'block hash': sha2(hdr).hex(),
        'block bytes': (hdr + varint(2) + cb1 + full).hex(),
        'secret key 1, x-only': key1,
        'regtest address of secret key 1': address('regtest', xonly(1)),
        'devnet address of secret key 1': address('devnet', xonly(1)),
        'regtest address of the NUMS key': address('regtest', NUMS),
        'devnet address of the NUMS key': address('devnet', NUMS),
        'median of 1000, 1600 (block 2)': str(median_time([1000, 1600])),
        'median of 1000, 1600, 1300, 1200 (block 4)': str(median_time([1000, 1600, 1300, 1200])),
        'retarget of 0x1d00ffff, period of 145 s': '0x%08x' % next_bits('devnet', 30, 0x1d00ffff, 0, 145),
        'retarget of 0x1d00ffff, period of 291 s': '0x%08x' % next_bits('devnet', 30, 0x1d00ffff, 0, 291),
        'retarget of 0x1d00ffff, period of 10 s': '0x%08x' % next_bits('devnet', 30, 0x1d00ffff, 0, 10),
        'retarget of 0x1e3fffff, period of 2000 s': '0x%08x' % next_bits('devnet', 30, 0x1e3fffff, 0, 2000),
        'target of 0x2100007f': '%064x' % bits_to_target(0x2100007f),
        'canonical bits of that target': '0x%08x' % target_to_bits(bits_to_target(0x2100007f)),
        'dust threshold at 3000 per 1000 bytes': str(dust_threshold(3000)),
        'dust threshold at 0 per 1000 bytes': str(dust_threshold(0)),
        'least fee of the 186-byte transaction at 1000 per 1000 bytes':
            str(min(f for f in range(1000) if fee_rate(f, 186) >= 1000)),
        'most inputs of a transaction': str(LIMITS['tx_inputs']),
        'most outputs of a one-input transaction': str(LIMITS['tx_outputs']),
        'most outputs of a coinbase': str(LIMITS['coinbase_outputs']),
        'most transactions in a block': str(LIMITS['block_txs']),
    }

def check_doc(path):
    text = open(path).read()
    part = text.split('\n## Known answers', 1)
    if len(part) != 2:
        print('%s: no "## Known answers" section' % path)
        return 1
    section = part[1].split('\n## ', 1)[0]
    found = {}
    # rows: | name | `value` |
    for m in re.finditer(r'^\| *([^|`]+?) *\| *`([^`]*)` *\|', section, re.M):
        found[m.group(1)] = m.group(2)
    # hex blocks: a line "name:" then a fenced block
    for m in re.finditer(r'^\*\*([^*]+)\*\*:?\s*\n+```\n([0-9a-f\n]+)```', section, re.M):
        found[m.group(1)] = m.group(2).replace('\n', '')
    DOC.update(found)
    want = doc_answers()
    failures = 0
    for name, value in found.items():
        if name not in want:
            print('%s: known answer "%s" is not one the reference computes' % (path, name))
            failures += 1
        elif want[name] != value:
            print('%s: %s\n    document:  %.200s\n    reference: %.200s' % (path, name, value, want[name]))
            failures += 1
    for name in want:
        if name not in found:
            print('%s: known answer "%s" is missing' % (path, name))
            failures += 1
    print('document: %d known answers, %d differ' % (len(found), failures))
    return failures

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--doc', default=__file__.rsplit('/', 1)[0] + '/protocol.md'
                    if '/' in __file__ else 'protocol.md')
    ap.add_argument('--known-answers', help="the C's answers (tests/test_protocol_reference)")
    args = ap.parse_args()
    failures = check_doc(args.doc)
    if args.known_answers:
        failures += check_known_answers(args.known_answers)
    print('protocol-reference: %s' % ('FAILED' if failures else 'every answer agrees'))
    return 1 if failures else 0

if __name__ == '__main__':
    sys.exit(main())
