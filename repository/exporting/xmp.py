"""Licence and attribution written into exported image files as XMP, so credit survives
copying. Only rights metadata goes in (licence, credit line, the image's PixGen identifier and
page): never anything about the patient, not even the diagnosis. The pixels are untouched: the
packet is spliced into the file (a JPEG APP1 segment, a PNG iTXt chunk), nothing is re-encoded.
Plain Python, no Django."""

import struct
import zlib
from xml.sax.saxutils import escape

JPEG_XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"


def xmp_packet(*, identifier: str, licence: str, licence_url: str, credit: str, url: str) -> bytes:
    """An XMP packet with Dublin Core rights, XMP Rights Management and Creative Commons."""
    e = {k: escape(v, {'"': "&quot;"}) for k, v in locals().items()}
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"\n'
        '    xmlns:cc="http://creativecommons.org/ns#"\n'
        f'    xmpRights:Marked="{"False" if licence == "CC0-1.0" else "True"}"\n'
        f'    xmpRights:WebStatement="{e["licence_url"]}"\n'
        f'    cc:license="{e["licence_url"]}"\n'
        f'    cc:attributionName="{e["credit"]}"\n'
        f'    cc:attributionURL="{e["url"]}">\n'
        f"   <dc:identifier>{e['identifier']}</dc:identifier>\n"
        f'   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{e["credit"]}. '
        f"Licence: {e['licence']} ({e['licence_url']})</rdf:li></rdf:Alt></dc:rights>\n"
        f'   <xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang="x-default">{e["licence"]}'
        "</rdf:li></rdf:Alt></xmpRights:UsageTerms>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    ).encode()


def _embed_jpeg(data: bytes, packet: bytes) -> bytes:
    payload = JPEG_XMP_HEADER + packet
    if len(payload) + 2 > 0xFFFF:
        raise ValueError("the XMP packet is too large for one JPEG segment")
    segment = b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    at = 2
    # After SOI and any APP0 (JFIF) segment, as the XMP specification places it.
    if data[2:4] == b"\xff\xe0":
        at = 4 + struct.unpack(">H", data[4:6])[0]
    return data[:at] + segment + data[at:]


def _embed_png(data: bytes, packet: bytes) -> bytes:
    body = PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + packet  # iTXt: uncompressed, no language
    chunk = struct.pack(">I", len(body)) + b"iTXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"iTXt" + body) & 0xFFFFFFFF)
    ihdr_end = 8 + 8 + struct.unpack(">I", data[8:12])[0] + 4  # signature, IHDR, its CRC
    return data[:ihdr_end] + chunk + data[ihdr_end:]


def embed_xmp(data: bytes, packet: bytes) -> bytes:
    """The same image with the packet inside; formats other than JPEG and PNG pass unchanged."""
    if data[:2] == b"\xff\xd8":
        return _embed_jpeg(data, packet)
    if data[:8] == PNG_SIGNATURE:
        return _embed_png(data, packet)
    return data
