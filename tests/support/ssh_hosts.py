# -*- coding: utf-8 -*-
# Copyright: Contributors to the rolesanywhere.fleet collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real SSH hosts on this machine: one OpenSSH ``sshd`` per host, each in a mount namespace of its own.

Each host's ``/etc/rolesanywhere``, ``/usr/local/bin``, ``/root``, ``/home`` and ``/etc/sudoers.d`` (and
``/etc/passwd``, ``/etc/group``, ``/etc/shadow``, which gain the host's login user) are private directories
under ``<scratch>/hosts/<name>``, bind-mounted inside the namespace (``unshare --mount``): what the role writes on
one host is invisible to the others and to this machine, so the role runs as on real hosts, with no
``enroll_root``. Ansible reaches a host over SSH on 127.0.0.1 and its own port, with key login, as root or as a
login user who becomes root through sudo, as users' fleets are driven.

Needs root (mount namespaces), Debian's ``openssh-server`` and ``sudo`` (tests/system-packages.txt). Every sshd
listens on loopback only, runs under ``timeout`` so that it ends by itself, and is stopped by ``stop()``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import time
from typing import Dict, List, Optional

SSHD = "/usr/sbin/sshd"
LIFETIME_SECONDS = 3600  # an sshd left behind by a killed test run ends by itself
PRIVATE_DIRECTORIES = ("etc/rolesanywhere", "usr/local/bin", "root", "home", "etc/sudoers.d")
ACCOUNT_FILES = ("etc/passwd", "etc/group", "etc/shadow")
LOGIN_UID = 4711  # the non-root login user's uid and gid: not in this machine's /etc/passwd


def missing_parts() -> List[str]:
    """What this machine lacks to run SSH hosts (empty when it has everything)."""
    missing = [path for path in (SSHD, "/usr/bin/sudo", "/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/ssh-keygen")
               if not os.path.exists(path)]
    if os.geteuid() != 0:
        missing.append("root (mount namespaces)")
    return missing


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SshHost:
    """One host: its private tree, its sshd (in its namespace) and how Ansible reaches it."""

    def __init__(self, name: str, root: str, login_user: str, client_key: str):
        self.name = name
        self.root = root
        self.login_user = login_user
        self.client_key = client_key
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None
        self.log = os.path.join(root, "sshd.log")

    # --- the host's private files ------------------------------------------------------------------
    def _prepare(self):
        for relative in PRIVATE_DIRECTORIES:
            os.makedirs(os.path.join(self.root, relative), exist_ok=True)
        os.chmod(os.path.join(self.root, "root"), 0o700)
        for relative in ACCOUNT_FILES:
            shutil.copyfile("/" + relative, os.path.join(self.root, relative))
        os.chmod(os.path.join(self.root, "etc/shadow"), 0o640)
        authorized = open(self.client_key + ".pub", encoding="ascii").read()
        homes = {"root": (os.path.join(self.root, "root"), 0)}
        if self.login_user != "root":
            home = os.path.join(self.root, "home", self.login_user)
            homes[self.login_user] = (home, LOGIN_UID)
            with open(os.path.join(self.root, "etc/passwd"), "a", encoding="ascii") as passwd:
                passwd.write("%s:x:%d:%d:test login user:/home/%s:/bin/sh\n" % (self.login_user, LOGIN_UID, LOGIN_UID, self.login_user))
            with open(os.path.join(self.root, "etc/group"), "a", encoding="ascii") as group:
                group.write("%s:x:%d:\n" % (self.login_user, LOGIN_UID))
            with open(os.path.join(self.root, "etc/shadow"), "a", encoding="ascii") as shadow:
                shadow.write("%s:*:20000:0:99999:7:::\n" % self.login_user)  # "*": no password, not locked
            sudoers = os.path.join(self.root, "etc/sudoers.d", "login-user")
            with open(sudoers, "w", encoding="ascii") as handle:
                handle.write("%s ALL=(ALL:ALL) NOPASSWD: ALL\n" % self.login_user)
            os.chmod(sudoers, 0o440)
        for user, (home, uid) in homes.items():
            ssh_dir = os.path.join(home, ".ssh")
            os.makedirs(ssh_dir, mode=0o700, exist_ok=True)
            with open(os.path.join(ssh_dir, "authorized_keys"), "w", encoding="ascii") as handle:
                handle.write(authorized)
            for path in (home, ssh_dir, os.path.join(ssh_dir, "authorized_keys")):
                os.chown(path, uid, uid)
            os.chmod(os.path.join(ssh_dir, "authorized_keys"), 0o600)
        host_key = os.path.join(self.root, "ssh_host_ed25519_key")
        if not os.path.exists(host_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key], check=True)
        config = os.path.join(self.root, "sshd_config")
        with open(config, "w", encoding="ascii") as handle:
            handle.write("\n".join([
                "ListenAddress 127.0.0.1", "Port %d" % self.port, "HostKey %s" % host_key,
                "PidFile none", "UsePAM no", "StrictModes no", "PasswordAuthentication no",
                "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password",
                "AuthorizedKeysFile .ssh/authorized_keys", "Subsystem sftp internal-sftp", "LogLevel ERROR", ""]))
        return config

    def start(self):
        config = self._prepare()
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
        mounts = []
        for relative in PRIVATE_DIRECTORIES + ACCOUNT_FILES:
            mounts.append("mount --bind %s %s" % (shlex.quote(os.path.join(self.root, relative)), shlex.quote("/" + relative)))
        script = "set -e; %s; exec timeout %d %s -D -e -f %s" % (
            "; ".join(mounts), LIFETIME_SECONDS, SSHD, shlex.quote(config))
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("sshd of %s exited: %s" % (self.name, open(self.log, encoding="utf-8", errors="replace").read()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as connection:
                    if connection.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sshd of %s did not answer on port %d" % (self.name, self.port))

    def stop(self):
        """Stop the sshd and every process left in the host's namespace (SSH sessions Ansible keeps open)."""
        if self.process is None or self.process.poll() is not None:
            return
        namespace = os.readlink("/proc/%d/ns/mnt" % self.process.pid)
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != self.process.pid:
                try:
                    if os.readlink("/proc/%s/ns/mnt" % entry) == namespace:
                        os.kill(int(entry), 15)
                except OSError:
                    pass  # gone meanwhile
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait(10)

    # --- reaching it ---------------------------------------------------------------------------------
    def inventory_vars(self) -> Dict[str, object]:
        values = {
            "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": self.port,
            "ansible_user": self.login_user, "ansible_ssh_private_key_file": self.client_key,
            "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
            "ansible_python_interpreter": "/usr/bin/python3",
        }
        if self.login_user != "root":
            values.update({"ansible_become": True, "ansible_become_method": "sudo", "ansible_become_user": "root"})
        return values

    def inside(self, command: List[str]) -> List[str]:
        """``command`` run in the host's mount namespace (where its /etc/rolesanywhere, /root, ... are)."""
        namespace_pid = self._namespace_pid()
        return ["nsenter", "--target", str(namespace_pid), "--mount", "--"] + list(command)

    def _namespace_pid(self) -> int:
        # unshare execs sh, which execs timeout: the Popen's pid is inside the namespace.
        return self.process.pid


class SshHosts:
    """Several SSH hosts under ``<scratch>/hosts``, sharing one client key."""

    def __init__(self, scratch: str, login_users: Dict[str, str]):
        self.scratch = scratch
        key_dir = os.path.join(scratch, "ssh-client")
        os.makedirs(key_dir, mode=0o700, exist_ok=True)
        self.client_key = os.path.join(key_dir, "id_ed25519")
        if not os.path.exists(self.client_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.client_key], check=True)
        self.hosts = {name: SshHost(name, os.path.join(scratch, "hosts", name), user, self.client_key)
                      for name, user in login_users.items()}
        self._created_mount_points = []

    def start(self):
        for relative in PRIVATE_DIRECTORIES:  # bind mounts need their mount points (only /etc/rolesanywhere may lack one)
            if not os.path.isdir("/" + relative):
                os.makedirs("/" + relative)
                self._created_mount_points.append("/" + relative)
        try:
            for host in self.hosts.values():
                host.start()
            for host in self.hosts.values():
                host.wait_ready()
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        for host in self.hosts.values():
            host.stop()
        for path in self._created_mount_points:
            try:
                os.rmdir(path)
            except OSError:
                pass
