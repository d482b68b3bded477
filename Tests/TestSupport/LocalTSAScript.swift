/// The HTTP responder behind `LocalTSA`: a python3 http.server that answers each POST by running
/// `openssl ts -reply` on the posted query. The URL path chooses the behaviour, so one server
/// serves every test without shared state:
///
/// | path | answer |
/// |---|---|
/// | `/tsr` | a token from the trusted TSA (Content-Length) |
/// | `/chunked`, `/close-delimited` | the same, chunked / delimited by closing the connection |
/// | `/untrusted` | a token from the second TSA, certified by another CA |
/// | `/short-lived` | a token from the short-lived TSA certificate (`LocalTSA.makeShortLivedSigner`) |
/// | `/rejection` | a genuine `rejection` (badAlg): that TSA section accepts only SHA-512 |
/// | `/http500` | HTTP 500 |
/// | `/wrong-type` | a token with `Content-Type: text/html` |
/// | `/hang` | reads the request, never answers |
/// | `/oversize` | 2 MiB declared with Content-Length; `/oversize-chunked`, `/oversize-close`: 2 MiB chunked, or until the connection closes |
/// | `/auth` | a token if `Authorization: Basic dXNlcjpwYXNz` (user:pass), else 401 |
///
/// Arguments: DIRECTORY OPENSSL PORT_FILE [TLS_CERT TLS_KEY]. It listens on $LOCAL_TSA_HOST
/// (default 127.0.0.1; "::1" for IPv6) on a free port, writes the port to PORT_FILE (atomically), logs to stderr, records the last request's
/// head in DIRECTORY/last-request.txt, and exits when its stdin closes: the test process holds
/// the other end, so the server cannot outlive it even if the test process crashes.
enum LocalTSAScript {
    static let source = #"""
import http.server, os, socket, socketserver, ssl, subprocess, sys, tempfile, threading, time

directory, openssl, port_file = sys.argv[1], sys.argv[2], sys.argv[3]
tls = sys.argv[4:6] if len(sys.argv) >= 6 else None
config = os.path.join(directory, "tsa.cnf")
sections = {"/tsr": "tsa_trusted", "/chunked": "tsa_trusted", "/close-delimited": "tsa_trusted",
            "/auth": "tsa_trusted", "/wrong-type": "tsa_trusted", "/untrusted": "tsa_untrusted",
            "/rejection": "tsa_rejecting", "/short-lived": "tsa_short"}
serial_lock = threading.Lock()

def watch_stdin():
    try:
        while sys.stdin.buffer.read(1024):
            pass
    finally:
        os._exit(0)

def reply(query, section):
    fd, query_path = tempfile.mkstemp(dir=directory, prefix="query-", suffix=".tsq")
    response_path = query_path[:-4] + ".tsr"
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(query)
        with serial_lock:  # the serial file is read and rewritten by each reply
            run = subprocess.run([openssl, "ts", "-reply", "-config", config, "-section", section,
                                  "-queryfile", query_path, "-out", response_path],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if run.returncode != 0:
            raise RuntimeError(run.stdout.decode(errors="replace"))
        with open(response_path, "rb") as f:
            return f.read()
    finally:
        for path in (query_path, response_path):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        sys.stderr.write("local-tsa: " + (format % args) + "\n")

    def send(self, status, content_type, body, length=True):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def send_chunked(self, body, piece=1000):
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Connection", "close")
        self.end_headers()
        for start in range(0, len(body), piece):
            chunk = body[start:start + piece]
            self.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        query = self.rfile.read(length)
        path = self.path.split("?")[0]
        with open(os.path.join(directory, "last-request.txt"), "w") as f:
            f.write(self.requestline + "\n" + str(self.headers))
        if path == "/hang":
            time.sleep(3600)
            return
        if path == "/http500":
            return self.send(500, "text/plain", b"the local TSA was told to fail\n")
        if path == "/oversize":
            return self.send(200, "application/timestamp-reply", b"\0" * (2 << 20))
        if path == "/oversize-close":
            return self.send(200, "application/timestamp-reply", b"\0" * (2 << 20), length=False)
        if path == "/oversize-chunked":
            return self.send_chunked(b"\0" * (2 << 20), piece=65536)
        if path == "/auth" and self.headers.get("Authorization") != "Basic dXNlcjpwYXNz":
            return self.send(401, "text/plain", b"who are you?\n")
        section = sections.get(path)
        if section is None:
            return self.send(404, "text/plain", b"no such TSA path\n")
        try:
            body = reply(query, section)
        except Exception as error:
            sys.stderr.write("local-tsa: openssl failed: %s\n" % error)
            return self.send(500, "text/plain", str(error).encode())
        if path == "/wrong-type":
            return self.send(200, "text/html; charset=utf-8", body)
        if path == "/chunked":
            return self.send_chunked(body)
        if path == "/close-delimited":
            return self.send(200, "application/timestamp-reply", body, length=False)
        return self.send(200, "application/timestamp-reply", body)

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

host = os.environ.get("LOCAL_TSA_HOST", "127.0.0.1")
if ":" in host:
    Server.address_family = socket.AF_INET6
server = Server((host, 0), Handler)
if tls:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls[0], tls[1])
    server.socket = context.wrap_socket(server.socket, server_side=True)
threading.Thread(target=watch_stdin, daemon=True).start()
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.replace(port_file + ".tmp", port_file)
server.serve_forever()
"""#
}
