# -*- coding: utf-8 -*-
"""A private module origin for the goproxy scenario, on the client's loopback (https://corp.example, port 443).

Everything is behind HTTP basic auth (the scenario's netrc credential). corp.example/private?go-get=1 answers a
go-import meta tag of the `mod` kind, which sends the go command to a module proxy under /modproxy/ that serves
corp.example/private v1.0.0. Each request is logged to /var/log/private-origin.log as `<auth-ok|no-auth> <path>`,
so the verifier can tell that the mirror's go command sent the credential.

    private_origin.py <cert.pem> <key.pem> <credentials file: login:password>
"""
import base64
import http.server
import io
import json
import ssl
import sys
import zipfile

MODULE = "corp.example/private"
VERSION = "v1.0.0"
GO_MOD = "module corp.example/private\n\ngo 1.22\n"
SOURCE = "package private\n\n// Answer is what the mirror's clients get from the private origin.\nconst Answer = 42\n"
LOG = "/var/log/private-origin.log"
META = ('<html><head><meta name="go-import" content="%s mod https://corp.example/modproxy"></head></html>\n'
        % MODULE)


def module_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("%s@%s/go.mod" % (MODULE, VERSION), GO_MOD)
        zf.writestr("%s@%s/private.go" % (MODULE, VERSION), SOURCE)
    return buf.getvalue()


FILES = {
    "/modproxy/%s/@v/list" % MODULE: (VERSION + "\n").encode(),
    "/modproxy/%s/@v/%s.info" % (MODULE, VERSION): json.dumps(
        {"Version": VERSION, "Time": "2026-01-02T03:04:05Z"}).encode(),
    "/modproxy/%s/@v/%s.mod" % (MODULE, VERSION): GO_MOD.encode(),
    "/modproxy/%s/@v/%s.zip" % (MODULE, VERSION): module_zip(),
}


class Handler(http.server.BaseHTTPRequestHandler):
    expected = ""

    def do_GET(self):  # noqa: N802 - http.server's name
        authorized = self.headers.get("Authorization", "") == self.expected
        with open(LOG, "a", encoding="utf-8") as handle:
            handle.write("%s %s\n" % ("auth-ok" if authorized else "no-auth", self.path))
        if not authorized:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="corp.example"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _sep, query = self.path.partition("?")
        if path == "/private" and "go-get=1" in query.split("&"):
            body, ctype = META.encode(), "text/html; charset=utf-8"
        elif path in FILES:
            body, ctype = FILES[path], "application/octet-stream"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # the request log above is enough
        pass


def main():
    cert, key, credentials = sys.argv[1:4]
    with open(credentials, encoding="utf-8") as handle:
        Handler.expected = "Basic " + base64.b64encode(handle.read().strip().encode()).decode()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 443), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
