#!/usr/bin/python3
"""Serve an ICAO ePassport from Debian's vsmartcard-vpicc (virtualsmartcard,
by Frank Morgner and Dominik Oepen) on a vpcd port, with files we give it.

An independent peer for BAC and 3DES secure messaging: sensors/chip/pcsc's
TestVPICCPeer reads it through pcscd with our terminal code.

    vpicc_epass.py PORT DIR

DIR holds the files, named by file identifier: 011E (EF.COM), 0101 (DG1),
0102 (DG2), 011D (EF.SOD; vicc's own generator wrongly uses 010D). The
card's own generator (vicc -t ePass) is interactive and Python 2 era, so
this builds the file system directly with the package's classes.

The Debian build (3.3+dfsg-2) does not run an ePass under Python 3 as it
is. This process, and only it, fixes that without copying the package's
code: the package sits outside sys.path; it imports PyCrypto's Crypto,
which Debian ships as pycryptodome's Cryptodome (aliased); and a few lines
are Python 2 (str and bytes mixed). Those lines are edited in the source
text as it is imported (EDITS); each edit must match exactly once, so a
changed package fails loudly instead of running half fixed. One edit is a
conformance fix rather than a Python 3 one: the ePass's protected
responses lack DO'99' (ICAO 9303 Part 11 9.8.6.2), which our terminal
rightly refuses.
"""

import importlib.abc
import importlib.machinery
import importlib.util
import logging
import os
import sys

PKG_DIR = "/usr/lib/python3/site-packages/virtualsmartcard"

# module -> [(old, new, why)]
EDITS = {
    "virtualsmartcard.CryptoUtils": [(
        '''    result = []
    for i in range(len(string1)):
        result.append(chr(op(ord(string1[i]), ord(string2[i]))))
    return "".join(result)''',
        '''    return bytes(op(a, b) for a, b in zip(string1, string2))''',
        "XOR of the BAC key seeds: ord() and chr() on the ints of bytes",
    )],
    "virtualsmartcard.TLVutils": [(
        '''        result = result + value

    return b"".join(result)''',
        '''        result = result + value

    return result''',
        "pack() joins the ints of a bytes value",
    )],
    "virtualsmartcard.utils": [(
        '''    i = 0
    if data:
        if isinstance(data, str):''',
        '''    if isinstance(data, int):
        return data
    i = 0
    if data:
        if isinstance(data, str):''',
        "stringtoint() is given value[0] of bytes (DO'87' padding indicator), an int",
    )],
    "virtualsmartcard.SEutils": [(
        '''        return_data = ["", ]''',
        '''        return_data = [b"", ]''',
        "the unprotected command data starts as str",
    ), (
        '''data="".join(return_data))''',
        '''data=b"".join(return_data))''',
        "the unprotected command data is joined as str",
    ), (
        '''        return_data = ""
        # if sw == SW["NORMAL"]:''',
        '''        return_data = b""
        # if sw == SW["NORMAL"]:''',
        "the protected response starts as str",
    ), (
        r'''        if result != "":  # Encrypt the data included in the RAPDU
            encrypted = self.encipher(0x82, 0x80, result)
            encrypted = "\x01" + encrypted''',
        r'''        if result:  # Encrypt the data included in the RAPDU
            encrypted = self.encipher(0x82, 0x80, result)
            encrypted = b"\x01" + encrypted''',
        "empty response data (bytes) is never equal to \"\", and DO'87' is built as str",
    ), (
        '''            return_data += encrypted_tlv

        if sw == SW["NORMAL"]:''',
        '''            return_data += encrypted_tlv

        if sw == SW["NORMAL"]:
            return_data += pack([(SM_Class["PLAIN_PROCESSING_STATUS"], 2, inttostring(sw, 2))])
        if sw == SW["NORMAL"]:''',
        "not Python 2: the ePass leaves out DO'99' (its code is commented out, and would put it before "
        "DO'87'); ICAO 9303 Part 11 9.8.6.2 requires DO'87', DO'99', DO'8E' in that order, and our terminal "
        "refuses a response without DO'99'",
    )],
}


class _Finder(importlib.abc.MetaPathFinder):
    """Alias Crypto to Cryptodome, and load edited virtualsmartcard modules."""

    def find_spec(self, name, path, target=None):
        if name == "Crypto" or name.startswith("Crypto."):
            return importlib.util.spec_from_loader(name, _CryptoAlias())
        if name in EDITS:
            rel = name.split(".")[1:]
            origin = os.path.join(PKG_DIR, "virtualsmartcard", *rel) + ".py"
            return importlib.util.spec_from_file_location(name, origin, loader=_Edited(name, origin))
        return None


class _CryptoAlias(importlib.abc.Loader):
    def create_module(self, spec):
        return importlib.import_module("Cryptodome" + spec.name[len("Crypto"):])

    def exec_module(self, module):
        pass


class _Edited(importlib.machinery.SourceFileLoader):
    def get_data(self, path):
        src = super().get_data(path).decode("utf-8")
        for old, new, why in EDITS[self.name]:
            if src.count(old) != 1:
                raise ImportError("vpicc_epass: %s: edit (%s) does not match the installed package" % (self.name, why))
            src = src.replace(old, new)
        return src.encode("utf-8")

    def get_code(self, fullname):
        # Never use or write the package's cached bytecode for edited source.
        return compile(self.get_data(self.path), self.path, "exec")


sys.path.insert(0, PKG_DIR)
sys.meta_path.insert(0, _Finder())

from virtualsmartcard.SmartcardFilesystem import MF, DF, TransparentStructureEF  # noqa: E402
from virtualsmartcard.cards.ePass import PassportSAM  # noqa: E402
from virtualsmartcard.VirtualSmartcard import VirtualICC, Iso7816OS  # noqa: E402

AID_EMRTD = b"\xa0\x00\x00\x02\x47\x10\x01"


def build(directory):
    mf = MF()
    df = DF(parent=mf, fid=4, dfname=AID_EMRTD, bertlv_data=[])
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        df.append(TransparentStructureEF(parent=df, fid=int(name, 16), filedescriptor=0, data=data))
    mf.append(df)
    return mf, PassportSAM(mf)


def main():
    missing = [m for m in EDITS if m not in sys.modules]
    if missing:
        raise SystemExit("vpicc_epass: edited modules not imported through the finder: %s" % missing)
    port, directory = int(sys.argv[1]), sys.argv[2]
    mf, sam = build(directory)
    # The iso7816 card generator is not interactive; its card is replaced
    # by ours before the first APDU.
    vicc = VirtualICC(None, "iso7816", "127.0.0.1", port, logginglevel=logging.WARNING)
    vicc.os = Iso7816OS(mf, sam)
    vicc.run()


if __name__ == "__main__":
    main()
