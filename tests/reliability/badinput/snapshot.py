#!/usr/bin/env python3
"""What of a badinput.sh run exists right now, one sorted line per object.

    snapshot.py TOKEN WORKDIR SKELETON RT_ROOT PODNET_STATE POD_STATE POD_RT_ROOT

netns and links named TOKEN*, the ports of TOKEN* bridges, the links inside
TOKEN* netns, the nft table TOKEN, state files (but the skeleton list, the
state roots and podnet's directories and lock files), mounts naming TOKEN or
WORKDIR, cgroups named *TOKEN*, and processes of the run: the BI_MARK=TOKEN
marker in their environment, a root under WORKDIR or /run/TOKEN*, a cgroup
naming TOKEN.  One process instead of badinput.bash's two dozen commands:
the script takes a snapshot before and after every row.
"""
import os
import subprocess
import sys


def main():
    tok, work, skel_file, rt_root, net_state, pod_state, pod_rt = sys.argv[1:8]
    out = []
    try:
        with open(skel_file) as f:
            skel = set(l.rstrip("\n") for l in f)
    except OSError:
        skel = set()

    netns = sorted(n for n in os.listdir("/var/run/netns") if n.startswith(tok)) \
        if os.path.isdir("/var/run/netns") else []
    for n in netns:
        out.append("netns " + n)
        r = subprocess.run(["ip", "-n", n, "-o", "link", "show"], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            parts = line.split(": ")
            if len(parts) > 1:
                out.append("nslink %s %s" % (n, parts[1].split("@")[0]))

    for name in os.listdir("/sys/class/net"):
        if name.startswith(tok):
            out.append("link " + name)
        try:
            master = os.path.basename(os.readlink("/sys/class/net/%s/master" % name))
        except OSError:
            continue
        if master.startswith(tok):
            out.append("port %s %s" % (master, name))

    r = subprocess.run(["nft", "list", "table", "ip", tok], capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if line.strip():
            out.append("nft " + line.strip())

    roots = {rt_root, net_state, pod_state, pod_rt}
    for top in (rt_root, pod_state, net_state):
        for dirpath, dirnames, filenames in os.walk(top):
            for name in dirnames + filenames:
                p = os.path.join(dirpath, name)
                if p in skel or p in roots:
                    continue
                # podnet's records are files; its directories and lock files
                # (an ipam dir with its .lock per bridge) are bookkeeping
                if p.startswith(net_state + "/") and (name in dirnames or name.endswith(".lock")):
                    continue
                out.append("state " + p)

    with open("/proc/mounts") as f:
        for line in f:
            mp = line.split()[1]
            if tok in mp or work in mp:
                out.append("mount " + mp)

    base = "/sys/fs/cgroup"
    for dirpath, dirnames, _ in os.walk(base):
        depth = dirpath[len(base):].count("/")
        if depth >= 5:
            dirnames[:] = []
            continue
        for d in dirnames:
            if tok in d:
                out.append("cgroup " + os.path.join(dirpath, d))

    me = os.getpid()
    mark = ("BI_MARK=" + tok).encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        hit = False
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                hit = mark in f.read().split(b"\0")
        except OSError:
            pass
        if not hit:
            try:
                root = os.readlink("/proc/%s/root" % pid)
                hit = root.startswith(work + "/") or root.startswith("/run/" + tok)
            except OSError:
                pass
        if not hit:
            try:
                with open("/proc/%s/cgroup" % pid) as f:
                    hit = tok in f.read()
            except OSError:
                pass
        if hit:
            out.append("process " + pid)

    out.sort()
    if out:
        sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
