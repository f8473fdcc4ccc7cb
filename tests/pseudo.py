"""
GNU gettext's two file formats, read and written in Python, so the tests of
the translations run on a machine without GNU gettext (issue 29, point 6).

``read_po`` reads the subset of the .po format that ``makemessages`` writes:
``msgctxt``, ``msgid``, ``msgid_plural``, ``msgstr`` and ``msgstr[n]``,
strings continued over several lines, ``#,`` flags and ``#~`` obsolete
entries (other comments are skipped). ``messages`` keys the entries as a
compiled catalogue does (``gettext.GNUTranslations``), and ``mo_bytes``
compiles entries into a .mo file.
"""

import re
import struct
from dataclasses import dataclass, field

# How GNU gettext joins a context to its msgid, and a msgid to its plural.
CONTEXT = "\x04"
NUL = "\0"

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a"}
KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    # One string, or a list of the plural forms (``msgstr[n]``).
    msgstr: str | list = ""
    flags: set = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self):
        """The msgid as a compiled catalogue keys it: "context\\x04msgid"."""
        if self.msgctxt is None:
            return self.msgid
        return f"{self.msgctxt}{CONTEXT}{self.msgid}"

    @property
    def forms(self):
        """Every translation of the entry: one, or one per plural form."""
        return self.msgstr if isinstance(self.msgstr, list) else [self.msgstr]

    @property
    def fuzzy(self):
        return "fuzzy" in self.flags

    @property
    def translated(self):
        return all(self.forms)

    def __str__(self):
        context = f" (context {self.msgctxt!r})" if self.msgctxt is not None else ""
        return f"{self.msgid!r}{context}"


def unquote(literal):
    """A C string literal of a .po line, without its quotes and escapes."""
    if len(literal) < 2 or literal[0] != '"' or literal[-1] != '"':
        raise ValueError(f"not a quoted string: {literal}")

    def unescape(match):
        char = match.group(1)
        if char not in ESCAPES:
            raise ValueError(f"unknown escape \\{char} in {literal}")
        return ESCAPES[char]

    return re.sub(r"\\(.)", unescape, literal[1:-1])


def read_po(path):
    """Every entry of a .po file, its header (msgid "") first, in file order."""
    entries = []
    entry = Entry()
    started = False  # the entry has a msgid or msgstr line
    target = None  # (attribute, plural index) that a continued string adds to

    def finish():
        nonlocal entry, started, target
        if started:
            entries.append(entry)
        entry, started, target = Entry(), False, None

    def add(attribute, index, text):
        if index is None:
            setattr(entry, attribute, (getattr(entry, attribute) or "") + text)
        else:
            entry.msgstr[index] += text

    with open(path, encoding="utf-8") as lines:
        for number, raw in enumerate(lines, 1):
            line = raw.strip()
            obsolete = line.startswith("#~")
            if obsolete:
                line = line[2:].strip()
                if line.startswith("|"):  # an obsolete entry's previous msgid
                    continue
            if not line:
                finish()
                continue
            if line.startswith("#,"):
                if started:
                    finish()
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
                continue
            if line.startswith("#"):  # translator, extracted, reference, previous
                continue
            try:
                if line.startswith('"'):
                    if target is None:
                        raise ValueError("a string outside an entry")
                    add(*target, unquote(line))
                    continue
                match = KEYWORD.match(line)
                if not match:
                    raise ValueError(f"cannot read {line!r}")
                keyword, index, literal = match.groups()
                text = unquote(literal)
                # A msgctxt or msgid after a msgstr begins the next entry.
                if keyword in ("msgctxt", "msgid") and entry.msgstr != "":
                    finish()
                if keyword == "msgid" and entry.msgid and started:
                    finish()
                entry.obsolete = obsolete
                started = True
                if keyword.startswith("msgstr["):
                    if not isinstance(entry.msgstr, list):
                        entry.msgstr = []
                    if int(index) != len(entry.msgstr):
                        raise ValueError(f"{keyword} out of order")
                    entry.msgstr.append(text)
                    target = ("msgstr", int(index))
                else:
                    setattr(entry, keyword, text)
                    target = (keyword, None)
            except ValueError as error:
                raise ValueError(f"{path}:{number}: {error}") from None
    finish()
    return entries


def messages(entries):
    """
    The catalogue the entries compile to, keyed as ``GNUTranslations`` keys
    its own: "msgid" or "context\\x04msgid" → msgstr, and a plural's every
    form as ("msgid", n) → msgstr[n]. Obsolete entries are not compiled.
    """
    catalogue = {}
    for entry in entries:
        if entry.obsolete:
            continue
        if entry.msgid_plural is None:
            catalogue[entry.key] = entry.msgstr
        else:
            for number, form in enumerate(entry.forms):
                catalogue[(entry.key, number)] = form
    return catalogue


def mo_bytes(entries):
    """
    A GNU .mo file of ``entries`` (obsolete ones left out): the magic number,
    revision 0, the count, the table of the originals' lengths and offsets,
    the table of the translations', then the strings, each ending in a NUL,
    sorted by original. An original is "msgid" or "context\x04msgid", a
    plural's "msgid\0msgid_plural", and a plural's translation is its forms
    joined by NULs.
    """
    pairs = []
    for entry in entries:
        if entry.obsolete:
            continue
        original = entry.key
        if entry.msgid_plural is not None:
            original += NUL + entry.msgid_plural
        pairs.append((original.encode(), NUL.join(entry.forms).encode()))
    pairs.sort()

    count = len(pairs)
    originals_table = 7 * 4
    translations_table = originals_table + count * 8
    offset = translations_table + count * 8
    tables, strings = [], []
    for column in (0, 1):
        for pair in pairs:
            text = pair[column]
            tables.append(struct.pack("<2I", len(text), offset))
            strings.append(text + b"\0")
            offset += len(text) + 1
    header = struct.pack(
        "<7I", 0x950412DE, 0, count, originals_table, translations_table, 0, 0
    )
    return header + b"".join(tables) + b"".join(strings)
