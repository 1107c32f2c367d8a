"""The warm-kernel template: a process that imported what the labs import once, and forks a kernel per student.

It runs inside the sandbox (`python -m autograd_labs.grading.worker.warm_template SOCKET`, started by the worker's
autograd_labs.grading.worker.warm) and listens on a Unix socket. For each connection it forks a *keeper*, which
gives the kernel its own user, mount, network, process and IPC namespaces and forks the namespace's init (process
1), which starts the kernel as process 2 and exits with it, so every process the kernel leaves behind dies with
it. Before any student code runs, the kernel gets a fresh private /tmp and /dev/shm, sees only its own scratch
folder (the template's other folders are hidden under empty tmpfs), gets its memory and file-size limits, loses
every capability, gets the environment it was handed and nothing else, and becomes a fresh IPython kernel on its
own connection file. Nothing a student does reaches the template: each kernel is a copy, and the template runs no
tensor operation, no thread and no event loop.

One connection per kernel, JSON lines:
  worker -> template   {"argv": [...], "env": {...}, "cwd": SCRATCH, "hide": [FOLDER...], "keep": [FOLDER...],
                        "data_mb": N, "file_mb": M, "tmp_mb": T}
  keeper -> worker     {"keeper": PID}, sent with SCM_CREDENTIALS so the worker learns the keeper's real pid
                       (and moves it into the kernel's pids cgroup) before any namespace exists
  worker -> keeper     {"go": true}
  keeper -> worker     {"started": true} once the kernel is isolated, or {"error": TEXT}
  worker -> keeper     {"signal": N}, any number of times
  keeper -> worker     {"exit": CODE} when the kernel has ended; a closed connection kills the kernel
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
import threading
import traceback

# What the labs import, so no kernel pays for it; none of these starts a thread or touches a device on import.
# Left out on purpose: modules that look for a running IPython kernel when they are imported (tqdm.auto picks
# its console bar, matplotlib_inline and pyplot hook figures into the shell), which the template is not.
PRELOAD = ["torch", "torch.nn.functional", "torch.func", "torchvision", "torchvision.models", "numpy",
           "matplotlib", "matplotlib.figure", "matplotlib.patches", "matplotlib.font_manager", "sklearn",
           "sklearn.datasets", "networkx", "tqdm.std", "tqdm.notebook", "ipywidgets", "ipykernel.kernelapp",
           "ipykernel.ipkernel"]

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 1, 24, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
KERNEL_SETUP_FAILED = 70

libc = ctypes.CDLL(None, use_errno=True)


class Channel:
    """JSON lines over a connected Unix socket, readable without blocking (for select loops) or with a timeout."""

    def __init__(self, sock: socket.socket):
        self.sock, self.buffer, self.closed = sock, b"", False

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, message: dict, ancillary: list | None = None) -> None:
        self.sock.sendmsg([json.dumps(message).encode() + b"\n"], ancillary or [])

    def receive(self, timeout: float | None = None) -> dict | None:
        """Return the next message; None when the peer closed the connection or nothing came within timeout."""
        while b"\n" not in self.buffer:
            if self.closed:
                return None
            if timeout is not None and not select.select([self.sock], [], [], timeout)[0]:
                return None
            chunk = self.sock.recv(65536)
            if not chunk:
                self.closed = True
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)


def check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def preload() -> None:
    """Import what the labs import, in the state a fresh kernel would import it."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1 or threading.active_count() != 1:
        raise RuntimeError(f"the template started {threads} threads while importing; forking it would be unsafe")


def write_id_map(path: str, inside: int, outside: int) -> None:
    with open(path, "w") as handle:
        handle.write(f"{inside} {outside} 1\n")


def enter_namespaces() -> None:
    """Give this process (the keeper) new user, mount, network, process, IPC and hostname namespaces."""
    uid, gid = os.getuid(), os.getgid()
    check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS),
          "unshare")
    write_id_map("/proc/self/uid_map", uid, uid)
    with open("/proc/self/setgroups", "w") as handle:
        handle.write("deny")
    write_id_map("/proc/self/gid_map", gid, gid)


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda text: text.encode() if text is not None else None  # noqa: E731
    check(libc.mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}")


def isolate_files(scratch: str, hide: list[str], tmp_mb: int, keep: list[str]) -> None:
    """Mount a fresh /tmp and /dev/shm and hide the template's folders, keeping this kernel's scratch folder and the
    read-only folders the sandbox shows under /tmp (`keep`: a torch hub cache or kernelspecs kept there)."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    staged = "/dev/shm"  # the kept folders wait here while /tmp and the hidden folders are covered
    mount("tmpfs", staged, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=700")
    folders = sorted({scratch, *keep}, key=lambda path: path.count("/"))  # a folder before the ones inside it
    for index, folder in enumerate(folders):
        os.mkdir(f"{staged}/{index}")
        mount(folder, f"{staged}/{index}", None, MS_BIND | MS_REC)  # a bind keeps its source's read-only flag
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")
    for folder in hide:
        if os.path.isdir(folder):  # one under /tmp is gone already
            mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for index, folder in enumerate(folders):
        os.makedirs(folder, exist_ok=True)
        mount(f"{staged}/{index}", folder, None, MS_BIND | MS_REC)
    check(libc.umount2(staged.encode(), MNT_DETACH), "umount the staged folders")
    mount("tmpfs", staged, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")


def drop_capabilities() -> None:
    """Drop every capability (bounding, ambient, effective, permitted, inheritable) and forbid regaining any."""
    last = int(open("/proc/sys/kernel/cap_last_cap").read())
    for capability in range(last + 1):
        check(libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0), "drop bounding capability")
    check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clear ambient capabilities")
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    header = struct.pack("Ii", LINUX_CAPABILITY_VERSION_3, 0)
    data = bytes(24)  # two (effective, permitted, inheritable) words, all zero
    check(libc.capset(header, data), "capset")


def become_kernel(request: dict, report: int) -> None:
    """In the kernel process: finish the isolation, report on `report`, then run IPython's kernel. Never returns."""
    try:
        check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
        for signum in FORWARDED:
            signal.signal(signum, signal.SIG_DFL)
        os.setsid()
        isolate_files(request["cwd"], request["hide"], request["tmp_mb"], request["keep"])
        for limit, megabytes in ((resource.RLIMIT_DATA, request["data_mb"]), (resource.RLIMIT_FSIZE,
                                                                                 request["file_mb"])):
            resource.setrlimit(limit, (megabytes << 20, megabytes << 20))
        drop_capabilities()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, report)
        os.closerange(report + 1, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        import numpy

        numpy.random.seed()  # a fresh kernel seeds numpy from the OS; a copy would repeat the template's stream
        os.write(report, b"ok")
        os.close(report)
    except BaseException:  # noqa: BLE001 - report any failure to the keeper, then stop before student code runs
        os.write(report, traceback.format_exc().encode()[-2000:])
        os._exit(KERNEL_SETUP_FAILED)
    from ipykernel.ipkernel import IPythonKernel
    from ipykernel.kernelapp import IPKernelApp

    # At shutdown ipykernel kills its children as psutil lists them from /proc, which shows the template's
    # process namespace, not the kernel's; the namespace itself ends every process the kernel leaves.
    IPythonKernel._process_children = lambda self: []
    sys.argv = ["ipykernel_launcher", *request["argv"]]
    try:
        IPKernelApp.launch_instance(argv=request["argv"])
    finally:
        os._exit(0)


def keep(channel: Channel) -> None:
    """In the keeper: start one isolated kernel for the request on `channel`, relay signals, report its exit."""
    request = channel.receive()
    if request is None:
        return
    credentials = struct.pack("3i", os.getpid(), os.getuid(), os.getgid())
    channel.send({"keeper": os.getpid()}, [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, credentials)])
    if channel.receive() != {"go": True}:
        return
    try:
        enter_namespaces()
    except OSError as error:
        channel.send({"error": f"cannot create the kernel's namespaces: {error}"})
        return
    read_end, write_end = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(read_end)
        channel.sock.close()
        run_init(request, write_end)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as report:
        setup = report.read()
    if setup != b"ok":
        os.waitpid(init, 0)
        channel.send({"error": setup.decode(errors="replace") or "the kernel died while it was being isolated"})
        return
    channel.send({"started": True})
    exited = os.pidfd_open(init)
    while True:
        ready = select.select([channel, exited], [], [])[0]
        if exited in ready:
            _, status = os.waitpid(init, 0)
            channel.send({"exit": os.waitstatus_to_exitcode(status)})
            return
        message = channel.receive()
        if message is None:  # the worker is gone: nobody will read this kernel's results
            os.kill(init, signal.SIGKILL)
            os.waitpid(init, 0)
            return
        if "signal" in message:  # SIGKILL ends the whole namespace; init passes any other on to the kernel
            try:
                os.kill(init, int(message["signal"]))
            except ProcessLookupError:
                pass


FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def run_init(request: dict, report: int) -> None:
    """Be process 1 of the kernel's namespace: start the kernel as process 2, pass signals on, reap orphans, and
    exit with the kernel's status, which ends every process left in the namespace. Never returns."""
    try:
        check(libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "pdeathsig")
        kernel = os.fork()
        if kernel == 0:
            become_kernel(request, report)
        os.close(report)
        for signum in FORWARDED:
            signal.signal(signum, lambda received, frame: os.kill(kernel, received))
        while True:
            try:
                pid, status = os.waitpid(-1, 0)
            except InterruptedError:
                continue
            if pid == kernel:
                os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else
                         128 + os.WTERMSIG(status))
    finally:
        os._exit(KERNEL_SETUP_FAILED)


def serve(socket_path: str) -> None:
    """Import, say "ready" on stdout, then fork a keeper for every connection until killed."""
    preload()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(socket_path)
    server.listen(16)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped by the system
    print("ready", flush=True)
    while True:
        connection, _ = server.accept()
        if os.fork() == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the keeper waits for its kernel
            server.close()
            code = 0
            try:
                channel = Channel(connection)
                keep(channel)
            except BaseException:  # noqa: BLE001 - a keeper's failure must never reach the template
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        connection.close()


if __name__ == "__main__":
    serve(sys.argv[1])
