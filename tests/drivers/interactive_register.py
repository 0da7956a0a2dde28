"""Drive `airlock connector register -i` through a real pseudo-terminal, as a person would.

Usage: interactive_register.py AIRLOCK_BIN URL TOKEN HOME REGISTRY_URL PASSWORD
Prints everything the terminal showed; exits non-zero if a prompt never appeared.
"""
import os
import pty
import select
import sys
import time

binary, url, token, home, registry, password = sys.argv[1:7]
pid, fd = pty.fork()
if pid == 0:
    os.environ.update(AIRLOCK_URL=url, AIRLOCK_TOKEN=token, HOME=home, TERM="xterm")
    os.execv(binary, [binary, "connector", "register", "-i"])

seen = b""


def expect(text, timeout=30):
    global seen
    deadline = time.time() + timeout
    while text.encode() not in seen:
        if time.time() > deadline:
            sys.stdout.write(seen.decode(errors="replace"))
            sys.exit(f"prompt never appeared: {text!r}")
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    time.sleep(0.1)


def send(keys):
    os.write(fd, keys.encode())


DOWN = "\x1b[B"
expect("Connector type")
expect("(docker)")
# Move down to docker, wherever the menu lists it.
menu = seen.decode(errors="replace").split("Connector type")[-1]
types = [line.rsplit("(", 1)[-1].rstrip(")\r ") for line in menu.splitlines() if line.rstrip("\r ").endswith(")")]
send(DOWN * types.index("docker") + "\r")
expect("Connector name")
send("interactive-reg\r")
expect("Auth method")
send("\r")
expect("username")
send("alice\r")
expect("password")
send(password + "\r")
expect("registry")
send(registry + "\r")
expect("Registered connector")
_, status = os.waitpid(pid, 0)
while True:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if not ready:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
