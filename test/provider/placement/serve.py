"""Serve the real Placement WSGI application (Debian python3-placement) for tests and benchmarks.

The same stdlib wsgiref server `placement-api` uses, single-threaded, with two changes:
- an accept queue of 128 instead of socketserver's 5: with 5, a client with more than ~6
  connections in flight has SYNs dropped and waits 1 s for the retransmit on every burst;
- no per-request access log lines on stderr.

Usage: OS_PLACEMENT_CONFIG_DIR=<dir> python3 serve.py <host> <port>
"""
import logging
import sys
import wsgiref.simple_server as wss

from placement.wsgi import init_application


class Server(wss.WSGIServer):
    request_queue_size = 128


class Handler(wss.WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - wsgiref's signature
        pass


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    app = init_application()
    logging.getLogger("placement.requestlog").setLevel(logging.WARNING)
    server = wss.make_server(host, port, app, server_class=Server, handler_class=Handler)
    print("serving on http://%s:%d/" % (host, port), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
