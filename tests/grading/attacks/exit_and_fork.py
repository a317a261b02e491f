"""Exit, fork and stay behind: a grandchild that leaves its session and sleeps, a swarm of forks,
a function that kills the grader (its parent), one that calls os._exit, one that calls sys.exit."""

import os
import signal
import sys
import time


def linger():
    """A daemon (its own session) that sleeps; returns once it runs."""
    ready, told = os.pipe()  # closed in the daemon when it starts sleep: then the read ends
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            try:
                os.execv("/bin/sleep", ["sleep", "313"])
            except OSError:
                os.close(told)
                time.sleep(313)
        os._exit(0)
    os.close(told)
    os.read(ready, 1)


class StayBehind:  # runs while the notebook's definitions do
    linger()
    for _ in range(200):
        try:
            if os.fork() == 0:
                time.sleep(313)
                os._exit(0)
        except OSError:
            break


def buddy_of(heap, block, order):
    linger()
    os._exit(3)


def split(heap, block, j, k):
    for pid in (os.getppid(), 1):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    sys.exit(0)


def merge(heap, block, order):
    while True:
        time.sleep(1)
