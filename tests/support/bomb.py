"""The decompression bomb the canvas tests send: a real PNG that is small as sent and huge once decoded."""

from __future__ import annotations

import base64
import struct
import zlib


def bomb_url(width: int = 10000, height: int = 9990) -> str:
    """A width x height RGBA PNG of zeros as a data URL (the canvas's `image_data` form): at the
    default size 0.4 MB as sent and 1.5 GB once decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    packer = zlib.compressobj(9)
    row = b"\0" * (width * 4 + 1)
    data = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
