"""The pickup code as people use it: read out in two groups of four, or scanned as a QR code."""

import qrcode
from qrcode.image.svg import SvgPathImage


def pickup_code_display(code: str) -> str:
    """ "ABCDEFGH" → "ABCD EFGH": two short groups are easier to read out over the phone."""
    return f"{code[:4]} {code[4:]}".strip()


def pickup_code_svg(code: str) -> str:
    """An inline SVG QR code of the pickup code (no image library needed)."""
    image = qrcode.make(code, image_factory=SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")
