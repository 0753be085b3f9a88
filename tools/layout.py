"""Mirror the checkout into BUILD/collections/ansible_collections/rolesanywhere/fleet.

ansible-test insists that the working directory sits at .../ansible_collections/<namespace>/<name> and it
resolves symlinks, so the checkout itself cannot serve. This keeps an incremental copy of every file git
tracks or would track (untracked but not ignored), deletes what disappeared, and leaves test output
(tests/output) alone. Run it before every test step; it is cheap when nothing changed.
"""
import os
import shutil
import subprocess
import sys

KEEP = ("tests/output", ".git")


def git_files(root):
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, check=True, stdout=subprocess.PIPE,
    ).stdout
    return sorted({p for p in out.decode().split("\0") if p and os.path.lexists(os.path.join(root, p))})


def same(src, dst):
    try:
        a, b = os.lstat(src), os.lstat(dst)
    except FileNotFoundError:
        return False
    return a.st_size == b.st_size and int(a.st_mtime) == int(b.st_mtime) and a.st_mode == b.st_mode


def sync(root, target):
    wanted = set(git_files(root))
    for rel in wanted:
        src, dst = os.path.join(root, rel), os.path.join(target, rel)
        if same(src, dst):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.islink(dst) or os.path.isdir(dst) and not os.path.isdir(src):
            os.unlink(dst)
        shutil.copy2(src, dst)
    for dirpath, dirnames, filenames in os.walk(target, topdown=True):
        rel_dir = os.path.relpath(dirpath, target)
        rel_dir = "" if rel_dir == "." else rel_dir
        dirnames[:] = [d for d in dirnames if os.path.join(rel_dir, d) not in KEEP and d != "__pycache__"]
        for name in filenames:
            rel = os.path.join(rel_dir, name)
            if rel not in wanted:
                os.unlink(os.path.join(dirpath, name))
    # drop directories left empty by deletions (bottom-up)
    for dirpath, dirnames, filenames in os.walk(target, topdown=False):
        rel_dir = os.path.relpath(dirpath, target)
        if any(rel_dir == k or rel_dir.startswith(k + os.sep) for k in KEEP):
            continue
        if dirpath != target and not os.listdir(dirpath):
            os.rmdir(dirpath)


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build")
    target = os.path.join(build, "collections", "ansible_collections", "rolesanywhere", "fleet")
    os.makedirs(target, exist_ok=True)
    sync(root, target)
    # The layout lives inside the checkout's (ignored) .build directory. ansible-test looks upwards for a
    # version-control root and would take the checkout's, whose file list excludes .build: an empty
    # repository of its own makes the layout its own content root (ansible-test lists untracked files too).
    if not os.path.isdir(os.path.join(target, ".git")):
        subprocess.run(["git", "init", "-q", target], check=True)
    print(target)


if __name__ == "__main__":
    main()
