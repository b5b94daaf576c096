# protocol-reference.py - an independent encoder written from docs/protocol.md alone
# (not from the C); it reproduces every known answer in that document:
#     python3 docs/protocol-reference.py
import hashlib, struct
def sha(b): return hashlib.sha256(b).digest()
def sha2(b): return sha(sha(b))
def tagged(tag, m): t = sha(tag.encode()); return sha(t + t + m)
def varint(n):
    if n < 0xfd: return bytes([n])
    if n <= 0xffff: return b'\xfd' + struct.pack('<H', n)
    if n <= 0xffffffff: return b'\xfe' + struct.pack('<I', n)
    return b'\xff' + struct.pack('<Q', n)
# BIP340 (from the BIP's math)
p = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798, 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)
def add(P, Q):
    if P is None: return Q
    if Q is None: return P
    if P[0] == Q[0] and P[1] != Q[1]: return None
    if P == Q: l = 3 * P[0] * P[0] * pow(2 * P[1], p - 2, p) % p
    else: l = (Q[1] - P[1]) * pow(Q[0] - P[0], p - 2, p) % p
    x = (l * l - P[0] - Q[0]) % p
    return (x, (l * (P[0] - x) - P[1]) % p)
def mul(P, k):
    R = None
    while k:
        if k & 1: R = add(R, P)
        P = add(P, P); k >>= 1
    return R
def sign(sk, m, aux):
    P = mul(G, sk); d = sk if P[1] % 2 == 0 else n - sk
    t = (d ^ int.from_bytes(tagged("BIP0340/aux", aux), 'big')).to_bytes(32, 'big')
    k0 = int.from_bytes(tagged("BIP0340/nonce", t + P[0].to_bytes(32, 'big') + m), 'big') % n
    R = mul(G, k0); k = k0 if R[1] % 2 == 0 else n - k0
    e = int.from_bytes(tagged("BIP0340/challenge", R[0].to_bytes(32, 'big') + P[0].to_bytes(32, 'big') + m), 'big') % n
    return R[0].to_bytes(32, 'big') + ((k + e * d) % n).to_bytes(32, 'big')
def xonly(sk): return mul(G, sk)[0].to_bytes(32, 'big')
NUMS = bytes.fromhex("50929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0")
def merkle(ws):
    lvl = [sha(b'\x00' + w) for w in ws]
    while len(lvl) > 1:
        nxt = [sha(b'\x01' + lvl[i] + lvl[i+1]) for i in range(0, len(lvl) - 1, 2)]
        if len(lvl) % 2: nxt.append(lvl[-1])
        lvl = nxt
    return lvl[0]
def coinbase(height, extranonce, amount, key):
    prev = struct.pack('<IQ', height, extranonce) + bytes(20)
    return struct.pack('<I', 1) + varint(1) + prev + struct.pack('<I', 0xffffffff) + varint(1) + struct.pack('<Q', amount) + key
def header(prev, mroot, time, bits, nonce):
    return struct.pack('<I', 1) + prev + mroot + struct.pack('<III', time, bits, nonce)
# genesis (regtest)
cb = coinbase(0, 0, 0, NUMS)
gh = header(bytes(32), merkle([sha2(cb)]), 1767225600, 0x207fffff, 0)
genesis_hash = sha2(gh)
print("genesis", genesis_hash.hex())
print("genesis block hex", (gh + varint(1) + cb).hex())
# the KAT transaction
spent_key = xonly(3); pay_key = xonly(1)
base = struct.pack('<I', 1) + varint(1) + b'\x11' * 32 + struct.pack('<I', 1) + varint(2) \
     + struct.pack('<Q', 5000000000) + pay_key + struct.pack('<Q', 999000000) + NUMS
txid = sha2(base)
spent_hash = sha(struct.pack('<Q', 6000000000) + spent_key)
msg = tagged("ZChain/SigHash", genesis_hash + txid + spent_hash + struct.pack('<I', 0))
sig = sign(3, msg, bytes(32))
full = base + sig
print("spent key", spent_key.hex(), "pay key", pay_key.hex())
print("txid", txid.hex()); print("wtxid", sha2(full).hex()); print("sighash", msg.hex()); print("hex", full.hex())
# KAT block: height 1 on regtest genesis: coinbase (extranonce 0) paying 50 coins + 1 coin fee to key 1, then the KAT tx
cb1 = coinbase(1, 0, 5100000000, pay_key)
mr = merkle([sha2(cb1), sha2(full)])
nonce = 0
while True:
    h = header(genesis_hash, mr, 1767225601, 0x207fffff, nonce)
    bh = sha2(h)
    if int.from_bytes(bh, 'big') <= 0x7fffff << (8 * 29): break
    nonce += 1
print("block nonce", nonce, "merkle", mr.hex(), "hash", bh.hex())
print("block hex", (h + varint(2) + cb1 + full).hex())
