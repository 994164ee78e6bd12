"""Load generator of the go_observability_vm scenario: keeps a loopback HTTP endpoint of the service busy until it
is stopped (side_effect.yml runs it as a transient systemd unit with a RuntimeMaxSec= bound).

    python3 loadgen.py HOST:PORT PATH THREADS
"""
import http.client
import sys
import threading
import time


def worker(host, port, path):
    while True:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        try:
            while True:  # keep-alive: one connection, as many requests as it takes
                conn.request("GET", path)
                conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            conn.close()
            time.sleep(0.2)  # the service restarts or is throttled: try again


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    path, threads = sys.argv[2], int(sys.argv[3])
    for number in range(threads):
        threading.Thread(target=worker, args=(host, int(port), path), name="load-%d" % number, daemon=True).start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
