"""Writes the eventIdFile variants the legacy tests read: real pickles from this Python, py2-era files
built byte by byte, malicious pickles, and an opcode listing (pickletools) to check what a file holds.

usage: write_pickle.py SCENARIO OUT [ARGS...]
"""
import datetime
import os
import pickle
import pickletools
import struct
import sys


def fixed_state():
    """The structure the original daemon writes, with fixed naive datetimes."""
    return {
        "/usr/local/shotgun/plugins": {
            "logArgs": (
                276560,
                {
                    276558: datetime.datetime(2024, 1, 2, 3, 4, 5, 678901),
                    # microsecond 10 puts a newline byte in the state: protocol 0 must escape it
                    276559: datetime.datetime(2031, 12, 31, 23, 59, 59, 10),
                },
            ),
            "newPlugin": (None, {}),
            "\u00fcn\u00efc\u00f8d\u00e9 \u65e5\u672c": (276000, {}),
            "big": (2**40, {}),
            "negative": (-5, {}),
        },
        "/opt/plugins \u00fc": {"logArgs": (100, {})},
        "/empty": {},
    }


def importer_state(future, past):
    """Expiries relative to the test's clock: `future` and `past` are epoch seconds."""
    fut = datetime.datetime.fromtimestamp(future).replace(microsecond=250000)
    later = datetime.datetime.fromtimestamp(future + 60).replace(microsecond=0)
    old = datetime.datetime.fromtimestamp(past)
    return {
        "/usr/local/shotgun/plugins": {
            "logArgs": (276560, {276550: fut, 276551: fut, 276552: fut, 276554: later, 276555: later,
                                 276540: old, 276541: old, 276570: fut}),
            "newPlugin": (None, {}),
            "\u00e9t\u00e9": (276000, {}),
            "bare": 275000,
        },
        "/studio/plugins": {"logArgs": (276100, {})},
        "/other": 5000,
        "/empty": {},
    }


def py2_protocol2():
    """What a Python 2 daemon wrote with protocol 2: byte strings (SHORT_BINSTRING) for names and for the
    datetime state. Python 3 cannot read it without encoding='latin1'."""
    def short_binstring(raw):
        return b"U" + bytes([len(raw)]) + raw

    state = bytes([0x07, 0xE8, 1, 2, 3, 4, 5, 0x0A, 0x5B, 0xF5])  # 2024-01-02 03:04:05.678901
    out = b"\x80\x02}q\x00"
    out += short_binstring(b"/usr/local/shotgun/plugins") + b"q\x01}q\x02("
    out += short_binstring(b"logArgs") + b"q\x03J" + struct.pack("<i", 276560)
    out += b"}q\x04(J" + struct.pack("<i", 276558)
    out += b"cdatetime\ndatetime\nq\x05" + short_binstring(state) + b"\x85Rq\x06u\x86q\x07"
    out += short_binstring("caf\u00e9".encode("utf-8")) + b"q\x08J" + struct.pack("<i", 1000) + b"}q\t\x86q\n"
    out += short_binstring(b"lat\xe9") + b"q\x0bNh\t\x86q\x0c"
    out += b"us."
    return out


def py2_protocol0():
    """What a Python 2 daemon wrote with the default protocol 0: STRING opcodes with escaped literals."""
    state = bytes([0x07, 0xE8, 1, 2, 3, 4, 5, 0x0A, 0x5B, 0xF5])
    literal = repr(state)[1:].encode("ascii")  # py2 str repr: '\x07\xe8...'
    return (b"(dp0\nS'/usr/local/shotgun/plugins'\np1\n(dp2\nS'logArgs'\np3\n(I276560\n(dp4\n"
            b"L276558L\ncdatetime\ndatetime\np5\n(S" + literal + b"\np6\ntp7\nRp8\nsI276559\ng5\n(S" + literal +
            b"\ntRp9\nstp10\nsS'old'\np11\nI42\nss.")


class Evil:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class Thing:
    pass


def main():
    scenario, out = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    if scenario == "dis":
        with open(out, "rb") as f:
            try:
                for opcode, arg, _ in pickletools.genops(f.read()):
                    print(opcode.name, repr(arg))
            except Exception as error:  # pickletools cannot show py2 STRING bytes; say so and go on
                print("DIS-ERROR", repr(error))
        return
    if scenario == "fixed":
        data = pickle.dumps(fixed_state(), protocol=int(args[0]))
    elif scenario == "importer":
        data = pickle.dumps(importer_state(int(args[1]), int(args[2])), protocol=int(args[0]))
    elif scenario == "fold":
        data = pickle.dumps({"/p": {"x": (100, {50: datetime.datetime(2030, 11, 3, 1, 30, fold=1),
                                                51: datetime.datetime(2030, 11, 3, 1, 30, fold=0)})}},
                            protocol=5)
    elif scenario == "py2proto2":
        data = py2_protocol2()
        try:
            pickle.loads(data)
            sys.exit("expected Python 3's default pickle.load to fail on a py2 datetime")
        except UnicodeDecodeError:
            pass
        loaded = pickle.loads(data, encoding="latin1")
        assert loaded["/usr/local/shotgun/plugins"]["logArgs"][1][276558] == datetime.datetime(
            2024, 1, 2, 3, 4, 5, 678901), loaded
    elif scenario == "py2proto0":
        data = py2_protocol0()
        loaded = pickle.loads(data, encoding="latin1")
        assert loaded["/usr/local/shotgun/plugins"]["logArgs"][1][276559] == datetime.datetime(
            2024, 1, 2, 3, 4, 5, 678901), loaded
    elif scenario == "evil":
        data = pickle.dumps({"/p": {"x": (1, {}), "y": Evil(args[1])}}, protocol=int(args[0]))
    elif scenario == "object":
        data = pickle.dumps({"/p": Thing()}, protocol=int(args[0]))
    elif scenario == "float":
        data = pickle.dumps({"/p": {"x": (1.5, {})}}, protocol=int(args[0]))
    elif scenario == "list":
        data = pickle.dumps({"/p": {"x": [7, {3: datetime.datetime(2030, 1, 1)}]}}, protocol=int(args[0]))
    elif scenario == "pickled_list":
        data = pickle.dumps([1, 2, 3], protocol=int(args[0]))
    elif scenario == "deep":
        value = []
        for _ in range(int(args[1])):
            value = [value]
        data = pickle.dumps(value, protocol=int(args[0]))
    else:
        sys.exit("unknown scenario " + scenario)
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
