"""A timestamp authority on 127.0.0.1 for the tests: OpenSSL's own RFC 3161 responder
(`openssl ts -reply`) behind a small HTTP server.

    python3 tsa.py CONFIG [--refuse]

CONFIG is an `openssl ts` configuration (its [tsa] section names the signer's certificate,
key, chain and serial file). The server prints its port on the first line of stdout, then
answers each POST of an `application/timestamp-query` with OpenSSL's
`application/timestamp-reply`. With --refuse it answers HTTP 503 instead, as a TSA that is
down does. It stops when stdin closes (when the test that started it ends).
"""

import http.server
import subprocess
import sys
import tempfile
import threading


def main():
    config = sys.argv[1]
    refuse = "--refuse" in sys.argv[2:]

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if refuse:
                self.send_response(503)
                self.end_headers()
                return
            with tempfile.NamedTemporaryFile(suffix=".tsq") as query:
                query.write(body)
                query.flush()
                reply = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", config, "-queryfile", query.name],
                    capture_output=True,
                )
            if reply.returncode != 0:
                sys.stderr.write(reply.stderr.decode(errors="replace"))
                self.send_response(500)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply.stdout)))
            self.end_headers()
            self.wfile.write(reply.stdout)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
