"""Other submissions read: look for the other notebooks of the batch (anywhere, by the victim's
marker), print them, and copy their answers."""

import json
import os

MARKER = "VICTIM" + "-MARKER"  # spelt so that this cell does not carry it


def notebooks():
    for root in (os.getcwd(), "/tmp", "/"):
        for folder, dirs, files in os.walk(root):
            dirs[:] = (
                [d for d in dirs if d not in ("proc", "sys", "dev", "usr", ".venv")] if folder.count(os.sep) < 9 else []
            )
            for name in files:
                if name.endswith(".ipynb"):
                    yield os.path.join(folder, name)


class ReadOthers:  # runs while the notebook's definitions do
    for path in notebooks():
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        if MARKER in text:
            print("another student's notebook:", text[:2000])
            for cell in json.loads(text)["cells"]:
                source = "".join(cell["source"])
                if cell["cell_type"] == "code" and source.startswith("def "):
                    exec(source, globals())
            break
