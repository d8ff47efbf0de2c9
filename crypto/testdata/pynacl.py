"""PyNaCl (libsodium) side of seedgate's interop tests. One operation per call; hex in, hex out.

  seal   <x25519 public> <message>          -> crypto_box_seal ciphertext
  open   <x25519 private> <ciphertext>      -> plaintext
  sign   <ed25519 seed> <message>           -> signature
  verify <ed25519 public> <message> <sig>   -> exit 0 if valid, 1 if not
"""
import sys

from nacl.exceptions import BadSignatureError
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.signing import SigningKey, VerifyKey

op, args = sys.argv[1], [bytes.fromhex(a) for a in sys.argv[2:]]
if op == "seal":
    print(SealedBox(PublicKey(args[0])).encrypt(args[1]).hex())
elif op == "open":
    print(SealedBox(PrivateKey(args[0])).decrypt(args[1]).hex())
elif op == "sign":
    print(SigningKey(args[0]).sign(args[1]).signature.hex())
elif op == "verify":
    try:
        VerifyKey(args[0]).verify(args[1], args[2])
    except BadSignatureError:
        sys.exit(1)
else:
    sys.exit("unknown op " + op)
