"""Run a command in a real pseudo-terminal and answer its prompts, as a person would.

Usage: pty_script.py STEPS_JSON PROGRAM [ARGS...]
STEPS_JSON is a list of ["expect", text] and ["send", keys] steps. The command inherits this
process's environment (plus TERM=xterm). Prints everything the terminal showed and exits with
the command's status; exits non-zero if an expected text never appeared.
"""
import json
import os
import pty
import select
import sys
import time

steps = json.loads(sys.argv[1])
program = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.execv(program[0], program)

seen = b""


def read_some(timeout):
    global seen
    ready, _, _ = select.select([fd], [], [], timeout)
    if not ready:
        return False
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        return False
    seen += chunk
    return bool(chunk)


for kind, text in steps:
    if kind == "send":
        os.write(fd, text.encode())
        continue
    start = len(seen)
    deadline = time.time() + 30
    while text.encode() not in seen[start:] and text.encode() not in seen:
        if time.time() > deadline:
            sys.stdout.write(seen.decode(errors="replace"))
            sys.exit(f"never appeared: {text!r}")
        read_some(0.2)
    time.sleep(0.1)

_, status = os.waitpid(pid, 0)
while read_some(0.2):
    pass
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
