"""Connects to HOST PORT, sends a request header of an unknown action, prints how many bytes
came back before the server closed (0: refused, e.g. by xinetd's only_from)."""
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
got = 0
with socket.create_connection((host, port), timeout=10) as s:
    s.settimeout(10)
    try:
        s.sendall(b"2.0_zrm-innobackupex\nfleet-probe\n-\n/tmp\n/usr/bin\n")
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += len(chunk)
    except (ConnectionResetError, BrokenPipeError):
        pass
    except TimeoutError:
        pass
print(got)
