# -*- coding: utf-8 -*-
"""A private module origin for the goproxy scenario, on the client's loopback (https://corp.example, port 443).

Everything is behind HTTP basic auth (the scenario's netrc credential). corp.example/private?go-get=1 answers a
go-import meta tag of the `mod` kind, which sends the go command to a module proxy under /modproxy/ that serves
corp.example/private v1.0.0 and v1.1.0. Each request is logged to /var/log/private-origin.log as `<auth-ok|no-auth> <path>`,
so the verifier can tell that the mirror's go command sent the credential.

    private_origin.py <cert.pem> <key.pem> <credentials file: login:password>
"""
import base64
import http.server
import io
import json
import random
import ssl
import sys
import zipfile

MODULE = "corp.example/private"
GO_MOD = "module corp.example/private\n\ngo 1.22\n"
# v1.1.0 also carries 1 MiB of data that does not compress: a fill that cannot fit on a full disk.
VERSIONS = {
    "v1.0.0": ("package private\n\n// Answer is what the mirror's clients get from the private origin.\n"
               "const Answer = 42\n", b""),
    "v1.1.0": ("package private\n\n// Answer is what the mirror's clients get from the private origin.\n"
               "const Answer = 43\n", random.Random(43).randbytes(1 << 20)),
}
LOG = "/var/log/private-origin.log"
META = ('<html><head><meta name="go-import" content="%s mod https://corp.example/modproxy"></head></html>\n'
        % MODULE)


def module_zip(version):
    source, data = VERSIONS[version]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("%s@%s/go.mod" % (MODULE, version), GO_MOD)
        zf.writestr("%s@%s/private.go" % (MODULE, version), source)
        if data:
            zf.writestr("%s@%s/data.bin" % (MODULE, version), data)
    return buf.getvalue()


FILES = {"/modproxy/%s/@v/list" % MODULE: "".join(v + "\n" for v in VERSIONS).encode()}
for _version in VERSIONS:
    FILES["/modproxy/%s/@v/%s.info" % (MODULE, _version)] = json.dumps(
        {"Version": _version, "Time": "2026-01-02T03:04:05Z"}).encode()
    FILES["/modproxy/%s/@v/%s.mod" % (MODULE, _version)] = GO_MOD.encode()
    FILES["/modproxy/%s/@v/%s.zip" % (MODULE, _version)] = module_zip(_version)


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
