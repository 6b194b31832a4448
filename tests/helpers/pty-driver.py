#!/usr/bin/env python3
"""Runs a command on a fresh pseudo-terminal (as a session leader whose controlling terminal
it is, like a login shell) and drives it with a small expect script, for job-control tests.

    pty-driver.py [-t SECS] SCRIPT -- CMD [ARGS...]

SCRIPT has one step per line ('#' lines and blank lines are skipped):
    send TEXT       write TEXT to the terminal; Python escapes work (\\n, \\x03 is Ctrl-C,
                    \\x1a is Ctrl-Z)
    expect REGEX    wait until the output after the previous match matches REGEX
    sleep SECS      pause
    wait            wait for CMD to exit and print "pty-driver: exit N" (or "signal N")
Every step is bounded by SECS (default 10). The terminal's output goes to stdout as it comes
(without \\r); what the driver did goes to stderr. Exits 0 when every step succeeded, 1 when
one failed or timed out (then the session is hung up and CMD is SIGKILLed), 2 on bad usage.
"""
import os
import pty
import re
import select
import signal
import sys
import time


def log(message):
    sys.stderr.write("pty-driver: %s\n" % message)
    sys.stderr.flush()


def main(argv):
    timeout = 10.0
    args = argv[1:]
    if len(args) >= 2 and args[0] == "-t":
        timeout = float(args[1])
        args = args[2:]
    if len(args) < 3 or args[1] != "--":
        log("usage: pty-driver.py [-t SECS] SCRIPT -- CMD [ARGS...]")
        return 2
    with open(args[0]) as script_file:
        steps = [line.rstrip("\n") for line in script_file]
    command = args[2:]

    pid, master = pty.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)

    pending = ""  # output not yet consumed by an expect
    status = None

    def pump(seconds):
        """Reads what the terminal printed within SECONDS; False once it hung up."""
        nonlocal pending
        ready, _, _ = select.select([master], [], [], max(seconds, 0))
        if not ready:
            return True
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: every slave fd is closed
            return False
        if not data:
            return False
        text = data.decode("utf-8", "replace").replace("\r", "")
        sys.stdout.write(text)
        sys.stdout.flush()
        pending += text
        return True

    def fail(message):
        log("FAILED: " + message)
        try:
            os.close(master)  # hangs the session up
        except OSError:
            pass
        time.sleep(0.1)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        return 1

    for number, step in enumerate(steps, 1):
        if not step.strip() or step.lstrip().startswith("#"):
            continue
        verb, _, operand = step.lstrip().partition(" ")
        log("step %d: %s" % (number, step.strip()))
        deadline = time.monotonic() + timeout
        if verb == "send":
            text = operand.encode("latin-1").decode("unicode_escape")
            os.write(master, text.encode("latin-1"))
        elif verb == "expect":
            pattern = re.compile(operand)
            while True:
                match = pattern.search(pending)
                if match:
                    pending = pending[match.end():]
                    break
                left = deadline - time.monotonic()
                if left <= 0 or not pump(min(left, 0.2)) and not pattern.search(pending):
                    return fail("step %d: no match for %r; unmatched output: %r"
                                % (number, operand, pending[-500:]))
        elif verb == "sleep":
            end = time.monotonic() + float(operand)
            while time.monotonic() < end:
                pump(end - time.monotonic())
        elif verb == "wait":
            while status is None:
                done, raw = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = raw
                    break
                if time.monotonic() > deadline:
                    return fail("step %d: the command did not exit" % number)
                pump(0.05)
            while pump(0.05):  # what it printed last
                pass
            if os.WIFEXITED(status):
                log("exit %d" % os.WEXITSTATUS(status))
            else:
                log("signal %d" % os.WTERMSIG(status))
        else:
            log("bad step %d: %r" % (number, step))
            return fail("bad script")
    if status is None:
        return fail("the script ended before the command exited (add a wait step)")
    os.close(master)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
