"""Codes people read out and scan: a household's pickup code at the gate, a trip's exit-pass
code at the compound's door. Eight letters and digits of an alphabet with no 0/O or 1/I/L, so
that a code read out on the phone or at the gate is not misheard; shown in two groups of four,
or as a QR code."""

import secrets

import qrcode
from qrcode.image.svg import SvgPathImage

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def code_new() -> str:
    """A fresh random code (31^8 of them: callers check it is unused where that matters)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_display(code: str) -> str:
    """ "ABCDEFGH" → "ABCD EFGH": two short groups are easier to read out over the phone."""
    return f"{code[:4]} {code[4:]}".strip()


def code_svg(code: str) -> str:
    """An inline SVG QR code of the code (no image library needed)."""
    image = qrcode.make(code, image_factory=SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")
