"""Warm kernels: each grading process keeps one sandboxed template that imported the labs' libraries once, and
each student's kernel is forked from it (autograd_labs.grading.worker.warm_template) instead of starting Python
and importing torch again.

`WarmProvisioner` is a jupyter_client kernel provisioner: nbclient and nbgrader drive the forked kernel exactly
as a started one (connection file, messages, interrupts as messages, shutdown). The template starts once per
process (a Dask worker starts it as it comes up) and is restarted if it dies; where it cannot run (no
bubblewrap, not Linux, the template will not start) `shared_template()` returns None, grading uses cold kernels,
and the reason is said once.
"""
from __future__ import annotations

import atexit
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from autograd_labs.grading.worker.sandbox import PACKAGE_DIR, bwrap_path, system_binds, torch_home, visible_paths
from autograd_labs.grading.worker.warm_template import Channel

TEMPLATE_START_SECONDS = 180
FORK_SECONDS = 30
TMP_MB = 512
TEMPLATE_UID = 65534
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


class WarmUnavailable(RuntimeError):
    """No kernel could be forked (no template, or it failed); the caller starts a cold kernel instead."""


def kernel_environment(home: str, extra: dict[str, str]) -> dict[str, str]:
    """Return the only environment variables a student's kernel sees: what Python, the labs and the sandbox need."""
    return {"PATH": os.pathsep.join([os.path.join(sys.prefix, "bin"), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": home, "LANG": "C.UTF-8", "TMPDIR": "/tmp", "TORCH_HOME": torch_home(),
            "MPLCONFIGDIR": os.path.join(home, ".matplotlib"), "MPLBACKEND": INLINE_BACKEND,
            "PYDEVD_DISABLE_FILE_VALIDATION": "1", **extra}


def kept_under_tmp() -> list[str]:
    """Return the read-only folders the sandbox shows under /tmp, which a kernel's fresh /tmp must not cover."""
    return [path for path in visible_paths() if path.startswith("/tmp/")]


class ForkedKernel:
    """A forked kernel seen through its keeper's connection, with the part of Popen's interface jupyter_client uses."""

    stdin = stdout = stderr = None

    def __init__(self, channel: Channel, pid: int):
        self.channel, self.pid, self.returncode = channel, pid, None
        self.lock = threading.Lock()

    def _update(self, timeout: float | None) -> None:
        message = self.channel.receive(timeout)
        if message is not None and "exit" in message:
            self.returncode = message["exit"]
        elif message is None and self.channel.closed:
            self.returncode = -signal.SIGKILL

    def poll(self) -> int | None:
        with self.lock:
            if self.returncode is None:
                self._update(0)
            return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired("forked kernel", timeout)
            select.select([self.channel], [], [], 0.1)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            try:
                self.channel.send({"signal": int(signum)})
            except OSError:
                pass

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class Template:
    """One sandboxed template process and the private folder it forks kernels into (kernels/ holds their scratch)."""

    def __init__(self, intra_op_threads: int = 1):
        self.folder = Path(tempfile.mkdtemp(prefix="autograd-labs-warm-"))
        self.kernels = self.folder / "kernels"
        self.kernels.mkdir()
        self.socket = self.folder / "template.sock"
        self.log = self.folder / "template.log"
        self.threads = str(intra_op_threads)
        self.process: subprocess.Popen | None = None
        self.ready = False
        self.kept: list[str] = []  # the read-only folders under /tmp the template was started with

    def environment(self) -> dict[str, str]:
        threads = {"OMP_NUM_THREADS": self.threads, "MKL_NUM_THREADS": self.threads,
                   "PYTHONPATH": os.path.dirname(PACKAGE_DIR)}
        return kernel_environment(str(self.folder), threads)

    def hidden(self) -> list[str]:
        """Return the folders a kernel must not see: the template's own, and this package unless installed."""
        return [str(self.folder), *([PACKAGE_DIR] if not PACKAGE_DIR.startswith(sys.prefix) else [])]

    def command(self) -> list[str]:
        """Return the bubblewrap command that runs the template: the system read-only, its folder writable."""
        # not uid 0 inside: a kernel's own user namespace may then map its uid without any capability
        self.kept = kept_under_tmp()  # what a kernel can keep is what the template sees: decided with its binds
        command = [bwrap_path(), "--unshare-all", "--unshare-user", "--uid", str(TEMPLATE_UID),
                   "--gid", str(TEMPLATE_UID), "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                   "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", *system_binds(),
                   "--ro-bind", PACKAGE_DIR, PACKAGE_DIR, "--bind", str(self.folder), str(self.folder),
                   "--chdir", str(self.folder), "--clearenv"]
        for name, value in self.environment().items():
            command += ["--setenv", name, value]
        return [*command, sys.executable, "-m", "autograd_labs.grading.worker.warm_template", str(self.socket)]

    def launch(self) -> None:
        """Start the template process (it imports in the background; `wait_ready` waits for it)."""
        self.socket.unlink(missing_ok=True)  # left by a template that died
        with open(self.log, "ab") as log_file:
            self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                            stderr=log_file, start_new_session=True)

    def wait_ready(self, timeout: float = TEMPLATE_START_SECONDS) -> None:
        """Wait until the template has imported and listens; raise WarmUnavailable if it died or took too long."""
        if self.ready:
            return
        if self.process is None:
            self.launch()
        if select.select([self.process.stdout], [], [], timeout)[0] and self.process.stdout.readline() == b"ready\n":
            self.ready = True
            return
        self.stop()
        raise WarmUnavailable(f"the warm-kernel template did not start: {self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return " | ".join(self.log.read_text(errors="replace").strip().splitlines()[-3:]) or "no message"
        except OSError:
            return "no log"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def fork(self, argv: list[str], *, env: dict[str, str], cwd: str, data_mb: int, file_mb: int,
             cgroup: str | None) -> ForkedKernel:
        """Fork an isolated kernel running `ipykernel_launcher ARGV` in `cwd` (a folder under self.kernels)."""
        self.wait_ready()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
            sock.connect(str(self.socket))
            channel = Channel(sock)
            channel.send({"argv": argv, "env": env, "cwd": cwd, "hide": self.hidden(), "keep": self.kept,
                          "data_mb": data_mb, "file_mb": file_mb, "tmp_mb": TMP_MB})
            keeper = self._keeper_pid(sock)
            if cgroup:
                Path(cgroup, "cgroup.procs").write_text(str(keeper))
            channel.send({"go": True})
            reply = channel.receive(FORK_SECONDS)
        except OSError as error:
            sock.close()
            raise WarmUnavailable(f"the warm-kernel template did not answer: {error}") from error
        if not reply or "started" not in reply:
            sock.close()
            raise WarmUnavailable(f"a warm kernel could not be isolated: {(reply or {}).get('error', 'no answer')}")
        return ForkedKernel(channel, keeper)

    @staticmethod
    def _keeper_pid(sock: socket.socket) -> int:
        """Read the keeper's first message and return its pid as this process sees it (from SCM_CREDENTIALS)."""
        if not select.select([sock], [], [], FORK_SECONDS)[0]:
            raise OSError("the template did not fork a keeper")
        data, ancillary, _, _ = sock.recvmsg(4096, socket.CMSG_SPACE(struct.calcsize("3i")))
        credentials = [d for level, kind, d in ancillary if (level, kind) == (socket.SOL_SOCKET,
                                                                              socket.SCM_CREDENTIALS)]
        if not data.endswith(b"\n") or not credentials:
            raise OSError("the keeper did not identify itself")
        return struct.unpack("3i", credentials[0][:12])[0]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.ready = False
        self.process = None


_template: Template | None = None
_unavailable: str | None = None
_lock = threading.Lock()


def _new_template() -> Template:
    atexit.register(stop_template)  # once per process is enough, but registering again costs nothing
    return Template()


def start_template() -> None:
    """Start this process's template in the background, if warm kernels can run here (a Dask worker's preload)."""
    global _template
    with _lock:
        if _template is None and bwrap_path() is not None and sys.platform == "linux":
            _template = _new_template()
            _template.launch()


def shared_template() -> Template | None:
    """Return this process's running template (started or restarted as needed), or None for cold kernels.

    Why warm kernels are not used is said once per process, as a warning.
    """
    global _template, _unavailable
    with _lock:
        if _unavailable is not None:
            return None
        if sys.platform != "linux" or bwrap_path() is None:
            return _give_up("warm kernels need Linux and bubblewrap")
        if _template is not None and _template.ready and not _template.alive():
            warnings.warn(f"the warm-kernel template died ({_template.log_tail()}); starting a new one",
                          RuntimeWarning, stacklevel=2)
            _template.stop()
        if _template is None:
            _template = _new_template()
        try:
            _template.wait_ready()
        except WarmUnavailable as error:
            return _give_up(str(error))
        return _template


def _give_up(reason: str) -> None:
    global _unavailable
    _unavailable = reason
    warnings.warn(f"cold kernels: each notebook starts its own Python ({reason})", RuntimeWarning, stacklevel=3)
    return None


def stop_template() -> None:
    """Stop this process's template and remove its folder (tests and a worker's teardown)."""
    global _template, _unavailable
    with _lock:
        if _template is not None:
            _template.stop()
            shutil.rmtree(_template.folder, ignore_errors=True)
        _template, _unavailable = None, None


class WarmProvisioner(LocalProvisioner):
    """Start the kernel by forking this process's template instead of running the kernel's command.

    The kernelspec's command must be this Python's `ipykernel_launcher`; its arguments (connection file, options
    such as exec_lines) are passed to the forked kernel unchanged. LocalProvisioner does the rest (connection
    file, poll, signals, shutdown) through ForkedKernel.
    """

    async def launch_kernel(self, cmd: list[str], **kwargs):
        km = self.parent
        program = shutil.which(cmd[0]) if cmd else None
        if not program or os.path.abspath(program) != sys.executable or cmd[1:3] != ["-m", "ipykernel_launcher"]:
            raise WarmUnavailable(f"the kernel is not this Python's ipykernel: {' '.join(cmd[:3])}")
        template = shared_template()
        if template is None:
            raise WarmUnavailable("no warm-kernel template")
        cwd = str(kwargs.get("cwd") or km.scratch)
        self.process = template.fork(cmd[3:], env=kernel_environment(cwd, dict(km.extra_env)), cwd=cwd,
                                     data_mb=km.memory_mb, file_mb=km.file_mb, cgroup=km.cgroup or None)
        self.pid, self.pgid, self.cwd = self.process.pid, None, cwd
        return self.connection_info
