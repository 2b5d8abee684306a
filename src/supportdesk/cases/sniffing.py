"""What an uploaded file really is, from its bytes: the extension must agree with the content.

Nothing here decompresses or decodes a file. Pictures are recognised by their signature only;
zip-based documents by the names in their central directory (read entry by entry, at most
`MAX_ZIP_ENTRIES`), never by extracting a member. Text is read in small chunks.
"""

from __future__ import annotations

import codecs
import re
import struct
from collections.abc import Iterator
from typing import IO

HEAD_BYTES = 4096
TEXT_CHUNK_BYTES = 64 * 1024
MAX_ZIP_ENTRIES = 2000
# A picture is shown in colleagues' browsers, which decode it: refuse what would take gigabytes
# (the same bound as Pillow's decompression-bomb check). Only the header is read here.
MAX_IMAGE_PIXELS = 89_478_485
JPEG_SCAN_BYTES = 256 * 1024
IMAGE_KINDS = frozenset({"png", "jpeg", "gif", "webp"})
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# The content type stored and served for each extension whose content could be checked.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "txt": "text/plain",
    "csv": "text/csv",
    "md": "text/markdown",
    "json": "application/json",
    "xml": "application/xml",
    "eml": "message/rfc822",
    "msg": "application/vnd.ms-outlook",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "zip": "application/zip",
}
UNCHECKED_CONTENT_TYPE = "application/octet-stream"

# What the content must be for each extension (a kind from `sniff_kind`).
EXPECTED_KINDS: dict[str, frozenset[str]] = {
    "pdf": frozenset({"pdf"}),
    "png": frozenset({"png"}),
    "jpg": frozenset({"jpeg"}),
    "jpeg": frozenset({"jpeg"}),
    "gif": frozenset({"gif"}),
    "webp": frozenset({"webp"}),
    **dict.fromkeys(("txt", "csv", "md", "json", "xml", "eml"), frozenset({"text"})),
    **dict.fromkeys(("doc", "xls", "ppt", "msg"), frozenset({"ole"})),
    "docx": frozenset({"docx"}),
    "xlsx": frozenset({"xlsx"}),
    "pptx": frozenset({"pptx"}),
    "odt": frozenset({"odt"}),
    "ods": frozenset({"ods"}),
    "zip": frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods"}),
}

KIND_LABELS = {
    "pdf": "a PDF document",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "gif": "a GIF image",
    "webp": "a WebP image",
    "text": "text",
    "ole": "an Office 97–2003 or Outlook file",
    "docx": "a Word document",
    "xlsx": "an Excel workbook",
    "pptx": "a PowerPoint presentation",
    "odt": "an OpenDocument text",
    "ods": "an OpenDocument spreadsheet",
    "zip": "a zip archive",
    "binary": "binary data",
}

PROGRAMS = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"#!", "a script"),
    (b"\xca\xfe\xba\xbe", "a macOS or Java program"),
    (b"\xfe\xed\xfa\xce", "a macOS program"),
    (b"\xfe\xed\xfa\xcf", "a macOS program"),
    (b"\xce\xfa\xed\xfe", "a macOS program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\x00asm", "a WebAssembly program"),
)
# A document a browser would render as a page or picture with scripts: refused whatever its name.
MARKUP_DOCUMENT = re.compile(
    rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    rb"<(?:!doctype\s+(?:html|svg)|html|svg|script|head|body|iframe)\b",
    re.IGNORECASE | re.DOTALL,
)
# Inside an .xml file: embedded script, XHTML or SVG, stylesheets and entity definitions.
ACTIVE_XML = re.compile(
    rb"<\s*(?:[\w-]+:)?script\b|http://www\.w3\.org/(?:1999/xhtml|2000/svg|1999/XSL)"
    rb"|<!entity|<\?xml-stylesheet",
    re.IGNORECASE,
)
ACTIVE_MARKUP_OVERLAP = 80
CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
OFFICE_PARTS = {
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "ppt/presentation.xml": "pptx",
}
ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}


class ContentRefused(Exception):
    """The file's content is not acceptable; the message says why, for the uploader."""


def checked_content_type(file: IO[bytes], *, name: str, extension: str) -> str:
    """The content type to store for `file`, after checking its bytes match `extension`.

    Raises ContentRefused for programs, active markup, and content that is not what the
    extension says. An extension allowed by settings but unknown here is kept as opaque data
    (served as a download, `application/octet-stream`) once it is not a program or markup.
    """
    try:
        return _content_type_of(file, name=name, extension=extension)
    finally:
        file.seek(0)  # stored from the start


def _content_type_of(file: IO[bytes], *, name: str, extension: str) -> str:
    kind = sniff_kind(file)
    if kind in {label for _, label in PROGRAMS}:
        raise ContentRefused(f"“{name}” is {kind}; programs and scripts are not accepted.")
    if kind == "markup":
        raise ContentRefused(f"“{name}” contains web page or script markup; it is not accepted.")
    if extension == "xml" and kind == "text" and has_active_xml(file):
        raise ContentRefused(f"“{name}” embeds script, web page or entity markup; not accepted.")
    expected = EXPECTED_KINDS.get(extension)
    if expected is None:
        return UNCHECKED_CONTENT_TYPE
    if kind not in expected:
        wanted = KIND_LABELS[min(expected)] if len(expected) == 1 else KIND_LABELS["zip"]
        found = KIND_LABELS.get(kind, "something else")
        raise ContentRefused(
            f"“{name}” is named .{extension} but its content is {found}, not {wanted}."
        )
    if kind in IMAGE_KINDS and not _image_size_checked(file, kind, name):
        return UNCHECKED_CONTENT_TYPE  # never shown in a page: a download of opaque data
    return CONTENT_TYPES[extension]


def sniff_kind(file: IO[bytes]) -> str:
    """A program label from PROGRAMS, "markup", or a kind of KIND_LABELS."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    for signature, label in PROGRAMS:
        # "MZ" also starts some text ("MZ Corp,…"); a DOS/PE header always holds NUL bytes.
        if head.startswith(signature) and (signature != b"MZ" or b"\x00" in head[:64]):
            return label
    kind = _binary_kind(head) or _zip_kind(file, head)
    if kind is None:
        kind = _text_kind(file)
    file.seek(0)
    return kind


def _binary_kind(head: bytes) -> str | None:
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:  # readers allow a short preamble
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in {b"GIF87a", b"GIF89a"}:
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(OLE_SIGNATURE):
        return "ole"
    return None


def _zip_kind(file: IO[bytes], head: bytes) -> str | None:
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return None
    if head[30:38] == b"mimetype":  # ODF: the first entry, stored, names the document type
        for mimetype, kind in ODF_MIMETYPES.items():
            if head[38:].startswith(mimetype):
                return kind
    names = zip_member_names(file)
    if names is None:
        return "binary"
    for part, kind in OFFICE_PARTS.items():
        if part in names and "[Content_Types].xml" in names:
            return kind
    return "zip"


def _image_size_checked(file: IO[bytes], kind: str, name: str) -> bool:
    """True if the header declares a size within MAX_IMAGE_PIXELS; False if it declares none
    that can be read here; refused if it declares more."""
    size = image_dimensions(file, kind)
    if size is None:
        return False
    width, height = size
    if width * height > MAX_IMAGE_PIXELS:
        raise ContentRefused(
            f"“{name}” says it is {width} × {height} pixels; pictures of more than "
            f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels are not accepted."
        )
    return True


def image_dimensions(file: IO[bytes], kind: str) -> tuple[int, int] | None:
    """Width and height as the image's header declares them (nothing is decoded)."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    if kind == "png" and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    if kind == "gif" and len(head) >= 10:
        return struct.unpack("<HH", head[6:10])
    if kind == "webp":
        return _webp_dimensions(head)
    if kind == "jpeg":
        return _jpeg_dimensions(file)
    return None


def _webp_dimensions(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        width = int.from_bytes(head[24:27], "little") + 1
        return width, int.from_bytes(head[27:30], "little") + 1
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _jpeg_dimensions(file: IO[bytes]) -> tuple[int, int] | None:
    """From the first start-of-frame marker, walking the segments of the first 256 KB."""
    file.seek(0)
    data = file.read(JPEG_SCAN_BYTES)
    position = 2
    while position + 9 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if 0xC0 <= marker <= 0xCF and marker not in {0xC4, 0xC8, 0xCC}:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        position += 2 + length
    return None


def zip_member_names(file: IO[bytes]) -> set[str] | None:
    """The member names in a zip's central directory (the first MAX_ZIP_ENTRIES), or None if
    the file is not a readable zip. Reads headers only: no member is ever decompressed."""
    file.seek(0, 2)
    size = file.tell()
    tail_length = min(size, 22 + 65535)
    file.seek(size - tail_length)
    tail = file.read(tail_length)
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) - end < 22:
        return None
    entries, directory_size, directory_offset = struct.unpack("<HII", tail[end + 10 : end + 20])
    if directory_offset + directory_size > size:
        return None
    file.seek(directory_offset)
    names: set[str] = set()
    for _ in range(min(entries, MAX_ZIP_ENTRIES)):
        header = file.read(46)
        if len(header) < 46 or not header.startswith(b"PK\x01\x02"):
            return None
        name_length, extra_length, comment_length = struct.unpack("<HHH", header[28:34])
        names.add(file.read(name_length).decode("utf-8", "replace"))
        file.seek(extra_length + comment_length, 1)
    return names


def _text_kind(file: IO[bytes]) -> str:
    """ "text" if the whole file is text (UTF-8, a single-byte encoding, or UTF-16 with a BOM)
    without NULs or control bytes; "markup" if it is an HTML or SVG document; else "binary"."""
    for chunk in _text_chunks(file):
        if CONTROL_BYTES.search(chunk):
            return "binary"
    file.seek(0)
    head = next(_text_chunks(file, size=HEAD_BYTES), b"")
    return "markup" if MARKUP_DOCUMENT.match(head.removeprefix(codecs.BOM_UTF8)) else "text"


def has_active_xml(file: IO[bytes]) -> bool:
    """Whether an XML file embeds script, XHTML, SVG, a stylesheet or entity definitions."""
    previous_tail = b""
    for chunk in _text_chunks(file):
        if ACTIVE_XML.search(previous_tail + chunk):
            return True
        previous_tail = chunk[-ACTIVE_MARKUP_OVERLAP:]
    return False


def _text_chunks(file: IO[bytes], *, size: int = TEXT_CHUNK_BYTES) -> Iterator[bytes]:
    """The file in chunks, as UTF-8 when it starts with a UTF-16 BOM (undecodable: one NUL)."""
    file.seek(0)
    first = file.read(size)
    if not first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        chunk = first
        while chunk:
            yield chunk
            chunk = file.read(size)
        return
    decoder = codecs.getincrementaldecoder("utf-16")()
    chunk = first
    while chunk:
        try:
            yield decoder.decode(chunk).encode("utf-8")
        except UnicodeDecodeError:
            yield b"\x00"
            return
        chunk = file.read(size)
