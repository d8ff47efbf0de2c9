"""An independent implementation of seedgate's wire formats, written from docs/crypto.md alone,
on libsodium (PyNaCl). It checks every vector in vectors.json and says which one fails.

  python3 vectors.py vectors.json
"""
import base64
import hashlib
import hmac
import json
import re
import sys

from nacl.exceptions import BadSignatureError
from nacl.public import PrivateKey, SealedBox
from nacl.signing import SigningKey, VerifyKey

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def fail(what, got, want):
    sys.exit(f"{what}: got {got!r}, want {want!r}")


def check(what, got, want):
    if got != want:
        fail(what, got, want)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(domain, *fields):
    out = domain.encode() + b"\x00"
    for f in fields:
        out += len(f).to_bytes(4, "big") + f
    return out


def u64(n):
    return n.to_bytes(8, "big")


def key_id(domain, *parts):
    digest = hashlib.sha256(canonical(domain, *parts)).digest()[:10]
    b32 = base64.b32encode(digest).decode()  # 80 bits: 16 characters, no padding
    return b32.translate(str.maketrans(RFC4648, CROCKFORD)).lower()


def verify(pub, message, sig):
    try:
        VerifyKey(pub).verify(message, sig)
        return True
    except BadSignatureError:
        return False


v = json.load(open(sys.argv[1]))
refusals = v["refusals"]

# Device keys.
d = v["device"]
ed_pub = SigningKey(bytes.fromhex(d["ed25519_seed_hex"])).verify_key.encode()
x_pub = PrivateKey(bytes.fromhex(d["x25519_private_hex"])).public_key.encode()
check("device ed25519 public", ed_pub.hex(), d["ed25519_public_hex"])
check("device x25519 public", x_pub.hex(), d["x25519_public_hex"])
dev_id = key_id("seedgate-device-key-v1", ed_pub, x_pub)
check("device key id", dev_id, d["key_id"])
check("fingerprint", " ".join(dev_id[i:i + 4] for i in range(0, 16, 4)), d["fingerprint"])
check("enrolment line", f"sgkey1.{dev_id}.{b64url(ed_pub)}.{b64url(x_pub)}", d["enrollment"])
key_file = json.loads(d["key_file"])
check("device key file seed", unb64url(key_file["ed25519_seed"]).hex(), d["ed25519_seed_hex"])
check("device key file x25519", unb64url(key_file["x25519_private"]).hex(), d["x25519_private_hex"])

# Gateway key: the key file is standard padded base64 of the 32-byte seed, and a newline.
g = v["gateway"]
seed = base64.b64decode(g["key_file"].strip(), validate=True)
check("gateway key file", seed.hex(), g["seed_hex"])
gw_pub = SigningKey(seed).verify_key.encode()
check("gateway public", gw_pub.hex(), g["public_hex"])
gw_id = key_id("seedgate-gateway-key-v1", gw_pub)
check("gateway key id", gw_id, g["key_id"])
check("gateway line", f"sggw1.{gw_id}.{b64url(gw_pub)}", g["line"])

# Binding: the hash is signed as its lowercase hex text.
b = v["binding"]
bind = canonical("seedgate-binding-v1", *(b[k].encode() for k in ("client", "torrent_hash", "action", "host")))
check("binding canonical", bind.hex(), b["canonical_hex"])
digest = hashlib.sha256(bind).digest()
check("binding digest", digest.hex(), b["digest_hex"])

token = bytes.fromhex(v["token_hex"])
check("token hash", hashlib.sha256(canonical("seedgate-token-v1", token)).hexdigest(), v["token_hash"])

# Challenge: version as decimal text, integers as 8-byte big-endian, the match code with its dash.
c = v["challenge"]
signed = canonical("seedgate-challenge-v2", b"2", dev_id.encode(), gw_id.encode(), c["request_id"].encode(), digest,
                   c["name"].encode(), u64(c["size"]), u64(c["iat"]), u64(c["exp"]), c["match_code"].encode(), token,
                   c["on_approve"].encode(), c["on_deny"].encode())
check("challenge signed bytes", signed.hex(), c["signed_hex"])
if not verify(gw_pub, signed, unb64url(c["signature_b64url"])):
    sys.exit("challenge: the gateway signature does not verify")
prefix = f"sg1.box.{dev_id}."
if not c["blob"].startswith(prefix):
    fail("blob prefix", c["blob"][:len(prefix)], prefix)
plain = SealedBox(PrivateKey(bytes.fromhex(d["x25519_private_hex"]))).decrypt(unb64url(c["blob"][len(prefix):]))
check("sealed payload", plain.decode(), c["payload"])
p = json.loads(plain)
want = {"v": 2, "dev": dev_id, "rid": c["request_id"], "cli": b["client"], "hash": b["torrent_hash"], "act": b["action"],
        "host": b["host"], "name": c["name"], "size": c["size"], "iat": c["iat"], "exp": c["exp"], "code": c["match_code"],
        "tok": b64url(token), "on_approve": c["on_approve"], "on_deny": c["on_deny"], "gw": gw_id, "sig": c["signature_b64url"]}
check("payload fields", p, want)

# Votes, and the gateway's checks in their documented order.
VOTE = re.compile(r"^sg1\.vote\.[0-9a-z]{1,64}\.(approve|deny)\.[1-9][0-9]{0,18}\.[A-Za-z0-9_-]{43}\."
                  r"[A-Za-z0-9_-]{22,86}\.[0-9a-z]{16}\.[A-Za-z0-9_-]{86}$")


def vote_signed(rid, decision, binding, exp, tok):
    return canonical("seedgate-vote-v1", rid.encode(), decision.encode(), binding, u64(exp), tok)


def judge_vote(line, offered_to, now):
    if not VOTE.match(line):
        return refusals["malformed"]
    _, _, rid, decision, exp, binding, tok, kid, sig = line.split(".")
    binding, tok, sig, exp = unb64url(binding), unb64url(tok), unb64url(sig), int(exp)
    if kid != dev_id:
        return refusals["unknown_key"]
    if not verify(ed_pub, vote_signed(rid, decision, binding, exp, tok), sig):
        return refusals["bad_signature"]
    if rid != offered_to:
        return refusals["wrong_request"]
    if binding != digest or exp != c["exp"]:
        return refusals["wrong_binding"]
    if now >= c["exp"]:
        return refusals["expired"]
    return ""


vote = v["vote"]
check("vote signed bytes", vote_signed(c["request_id"], vote["decision"], digest, c["exp"], token).hex(), vote["signed_hex"])
check("vote line", judge_vote(vote["line"], c["request_id"], c["iat"]), "")
for bad in v["bad_votes"]:
    check("bad vote " + bad["name"], judge_vote(bad["line"], bad["offered_to"], bad["now"]), bad["refusal"])

# Hooks: t is decimal text in the MAC; the secret file is standard padded base64.
h = v["hook"]
secret = base64.b64decode(h["secret_file"].strip(), validate=True)
maced = canonical("seedgate-hook-v1", str(h["t"]).encode(), h["n"].encode(), h["body"].encode())
check("hook MAC input", maced.hex(), h["maced_hex"])
check("hook header", f"t={h['t']},n={h['n']},s={hmac.new(secret, maced, hashlib.sha256).hexdigest()}", h["header"])


def judge_hook(header, body, now):
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not fields.get("t", "").isdigit() or not fields.get("n") or len(fields["n"]) > 64 or len(fields.get("s", "")) != 64:
        return refusals["malformed"]
    t = int(fields["t"])
    mac = hmac.new(secret, canonical("seedgate-hook-v1", str(t).encode(), fields["n"].encode(), body.encode()), hashlib.sha256)
    if not hmac.compare_digest(mac.hexdigest(), fields["s"]):
        return refusals["bad_signature"]
    if now - t > h["window_seconds"]:
        return refusals["expired"]
    if t - now > h["window_seconds"]:
        return refusals["not_yet_valid"]
    return ""


for bad in v["bad_hooks"]:
    check("bad hook " + bad["name"], judge_hook(bad["header"], bad["body"], bad["now"]), bad["refusal"])

# Enrolment proof.
e = v["enrollment"]
statement = canonical("seedgate-enroll-v1", e["user_id"].encode(), e["gateway_id"].encode(), e["nonce"].encode(),
                      dev_id.encode(), ed_pub, x_pub)
check("enrolment statement", statement.hex(), e["signed_hex"])
parts = e["line"].split(".")
check("enrolment proof line", ".".join(parts[:5]), f"sgproof1.{dev_id}.{b64url(ed_pub)}.{b64url(x_pub)}.{e['nonce']}")
if not verify(ed_pub, statement, unb64url(parts[5])):
    sys.exit("enrolment proof: the signature does not verify")

print("all vectors hold")
