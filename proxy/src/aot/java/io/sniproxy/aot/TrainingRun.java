package io.sniproxy.aot;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * The AOT cache's training run (JDK 25, JEP 483/514/515): starts the proxy through its launcher
 * with {@code -XX:AOTCacheOutput}, sends it the traffic it serves in production — TLS and HTTP
 * connections routed to a backend, piped both ways, half-closed and closed; a bulk download;
 * refusals (unknown name, garbage); QUIC sessions opened by real Initial packets — then stops it
 * with SIGTERM, at which the JVM writes the cache: the classes loaded and linked and the method
 * profiles of these paths, so that a fresh process starts warm.
 *
 * <p>Only the JDK is used (it runs in the JVM image too, on a runtime without a compiler).
 * Usage: {@code TrainingRun LAUNCHER CACHE_FILE [SECONDS]}. Exit code 0 with the cache written
 * (and {@code CACHE_FILE.jdk} naming the JDK build it belongs to), 0 without one on a JDK older
 * than 25, 1 when training failed.
 */
public final class TrainingRun {

    private static final String NAME = "train.example";
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final SecureRandom RANDOM = new SecureRandom();

    private TrainingRun() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: TrainingRun LAUNCHER CACHE_FILE [SECONDS]");
            System.exit(2);
        }
        Path launcher = Path.of(args[0]);
        Path cache = Path.of(args[1]).toAbsolutePath();
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        boolean aot = Runtime.version().feature() >= 25;
        if (!aot) {
            System.out.println("sniproxy AOT training: JDK " + Runtime.version() + " has no AOT cache with profiles (JDK 25+); "
                    + "none built, the run only lists the classes it loads (" + CLASS_LIST + ")");
        }
        Files.deleteIfExists(cache);
        Files.deleteIfExists(jdkFile(cache));
        Files.deleteIfExists(cache.resolveSibling(CLASS_LIST));
        System.exit(train(launcher, cache, aot, seconds) ? 0 : 1);
    }

    private static Path jdkFile(Path cache) {
        return cache.resolveSibling(cache.getFileName() + ".jdk");
    }

    /**
     * Beside the cache: the application classes the run loaded, one binary name per line. Started as
     * {@code java -jar quarkus-run.jar}, the proxy loads them all before it serves
     * (io.sniproxy.proxy.app.FastJarPreload says why).
     */
    static final String CLASS_LIST = "sniproxy-classes.txt";

    private static boolean train(Path launcher, Path cache, boolean aot, int seconds) throws Exception {
        Path dir = Files.createTempDirectory("sniproxy-aot");
        long started = System.nanoTime();
        try (Backend backend = Backend.start()) {
            int tls = freePort();
            int http = freePort();
            int quic = freeUdpPort();
            int lb = freePort();
            int management = freePort();
            Path config = dir.resolve("training.yaml");
            // A backend by host name too (the resolver's path: most routes name a Service), and the
            // cap low enough for Traffic.overTheCap to pass.
            String yaml = """
                    listeners:
                      - {name: tls, address: "127.0.0.1:%d", protocol: tls}
                      - {name: http, address: "127.0.0.1:%d", protocol: http}
                      - {name: quic, address: "127.0.0.1:%d", protocol: quic}
                      - {name: lb, address: "127.0.0.1:%d", protocol: tls, acceptProxyProtocol: any, trustedProxies: [127.0.0.1]}
                    routes:
                      - hostnames: [%s, "*.%s"]
                        backend: "127.0.0.1:%d"
                      - hostnames: [%s]
                        backend: "localhost:%d"
                      - hostnames: [%s]
                        backends: ["127.0.0.1:%d", "localhost:%d"]
                        balance: leastconn
                        healthCheck: {interval: 1s}
                        proxyProtocol: v2
                    timeouts: {drain: 2s, udpSession: 5s}
                    limits: {maxConnections: %d}
                    """.formatted(tls, http, quic, lb, NAME, NAME, backend.port(), Traffic.BY_NAME, backend.port(),
                    Traffic.BALANCED, backend.port(), backend.port(), Traffic.CAP);
            Files.writeString(config, yaml);
            Path log = dir.resolve("proxy.log");
            List<String> command = new ArrayList<>(List.of(launcher.toString(), "--config", config.toString(),
                    "-Dquarkus.management.port=" + management,
                    // %p: the JVM that assembles the cache inherits the option and would overwrite one file.
                    "-Xlog:class+load=info:file=" + dir.resolve("classes.%p.log")));
            if (aot) {
                command.add("-XX:AOTCacheOutput=" + cache);
            }
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            pb.environment().put("SNIPROXY_AOT", "off");
            Process proxy = pb.start();
            try {
                if (!awaitReady(proxy, management)) {
                    System.err.println("sniproxy AOT training: the proxy did not become ready:\n" + Files.readString(log));
                    return false;
                }
                long ready = System.nanoTime();
                Traffic traffic = new Traffic(tls, http, quic, lb);
                traffic.run(Duration.ofSeconds(seconds / 2));
                // A changed file is reloaded while traffic flows (the watcher polls it; SIGHUP takes the same path).
                Files.writeString(config, yaml.replace("timeouts: {drain: 2s,", "timeouts: {drain: 3s,"));
                traffic.run(Duration.ofSeconds(seconds - seconds / 2));
                traffic.overTheCap();
                scrapeManagement(management);
                proxy.destroy(); // SIGTERM: drain, exit; the JVM writes the cache on the way out
                if (!proxy.waitFor(180, TimeUnit.SECONDS)) {
                    System.err.println("sniproxy AOT training: the proxy did not exit within 180 s");
                    return false;
                }
                int classes = writeClassList(dir, cache.resolveSibling(CLASS_LIST));
                if (!aot) {
                    System.out.printf("sniproxy AOT training: %d classes listed in %s; ready after %.1f s, %s%n",
                            classes, cache.resolveSibling(CLASS_LIST), (ready - started) / 1e9, traffic.summary());
                    return true;
                }
                if (!Files.isRegularFile(cache)) {
                    System.err.println("sniproxy AOT training: no cache written:\n" + Files.readString(log));
                    return false;
                }
                Files.writeString(jdkFile(cache), System.getProperty("java.runtime.version"));
                System.out.printf("sniproxy AOT training: %s (%d MiB) for JDK %s, %d classes listed; ready after %.1f s, %s, total %.1f s%n",
                        cache, Files.size(cache) >> 20, System.getProperty("java.runtime.version"), classes,
                        (ready - started) / 1e9, traffic.summary(), (System.nanoTime() - started) / 1e9);
                return true;
            } finally {
                proxy.destroyForcibly();
                proxy.waitFor(30, TimeUnit.SECONDS);
            }
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted((a, b) -> b.compareTo(a)).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * The classes the JVM's class+load log shows read from the application's jar (the launcher's
     * {@code sniproxy-classpath.jar}): not the JDK's, not hidden classes (lambdas, generated
     * accessors), which no class loader can be asked for by name.
     */
    static int writeClassList(Path logDir, Path list) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        try (var logs = Files.list(logDir)) {
            for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("classes.")).toList()) {
                for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                    int tag = line.indexOf("[class,load] ");
                    int source = line.indexOf(" source: ");
                    if (tag < 0 || source < 0 || !line.endsWith("sniproxy-classpath.jar")) {
                        continue;
                    }
                    String name = line.substring(tag + "[class,load] ".length(), source);
                    if (!name.contains("/")) {
                        names.add(name);
                    }
                }
            }
        }
        Files.write(list, names, StandardCharsets.UTF_8);
        return names.size();
    }

    /** What a kubelet, Prometheus and the operator's watchdog ask while the proxy serves. */
    private static void scrapeManagement(int management) throws IOException, InterruptedException {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            for (String path : List.of("/q/metrics", "/q/health/live", "/q/health/ready", "/q/health/started", "/q/health")) {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + path))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding());
            }
        }
    }

    private static boolean awaitReady(Process proxy, int management) throws InterruptedException {
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + management + "/q/health/ready"))
                .timeout(Duration.ofSeconds(2)).build();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline && proxy.isAlive()) {
                try {
                    if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return true;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
        }
        return false;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
            return s.getLocalPort();
        }
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            return s.getLocalPort();
        }
    }

    /**
     * The backend, TCP and UDP on one port (a route's backend serves both): TCP echoes what it
     * reads until the client's FIN, except a request for {@code /bulk}, answered with 1 MiB; UDP
     * echoes every datagram.
     */
    private record Backend(ServerSocket tcp, DatagramSocket udp, ExecutorService workers) implements AutoCloseable {

        static Backend start() throws IOException {
            for (int attempt = 0; ; attempt++) {
                ServerSocket tcp = new ServerSocket(0, 512, LOOPBACK);
                try {
                    DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, tcp.getLocalPort()));
                    Backend b = new Backend(tcp, udp, Executors.newVirtualThreadPerTaskExecutor());
                    b.workers.submit(b::acceptLoop);
                    b.workers.submit(b::echoDatagrams);
                    return b;
                } catch (IOException portTakenForUdp) {
                    tcp.close();
                    if (attempt == 20) {
                        throw portTakenForUdp;
                    }
                }
            }
        }

        int port() {
            return tcp.getLocalPort();
        }

        private void acceptLoop() {
            while (!tcp.isClosed()) {
                try {
                    Socket s = tcp.accept();
                    workers.submit(() -> serve(s));
                } catch (IOException closed) {
                    return;
                }
            }
        }

        private static void serve(Socket s) {
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                byte[] buf = new byte[16384];
                boolean first = true;
                for (int n; (n = in.read(buf)) > 0; first = false) {
                    if (first && startsWith(buf, n, "GET /bulk")) {
                        byte[] chunk = new byte[65536];
                        for (int i = 0; i < 16; i++) {
                            out.write(chunk);
                        }
                        return;
                    }
                    out.write(buf, 0, n);
                }
                s.shutdownOutput();
            } catch (IOException peerGone) {
                // a refused or reset connection: nothing to answer
            }
        }

        private void echoDatagrams() {
            byte[] buf = new byte[2048];
            while (!udp.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    udp.receive(p);
                    udp.send(new DatagramPacket(buf, p.getLength(), p.getSocketAddress()));
                } catch (IOException closed) {
                    return;
                }
            }
        }

        @Override
        public void close() throws IOException {
            tcp.close();
            udp.close();
            workers.shutdownNow();
        }
    }

    private static boolean startsWith(byte[] buf, int n, String prefix) {
        byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
        return n >= p.length && Arrays.equals(buf, 0, p.length, p, 0, p.length);
    }

    /** The clients: a mix of what the proxy serves, on a few threads, for a bounded time. */
    private static final class Traffic {

        private final int tls;
        private final int http;
        private final int quic;
        private final int lb;
        private final byte[][] hellos;
        private final AtomicLong connections = new AtomicLong();
        private final AtomicLong datagrams = new AtomicLong();
        private final AtomicLong failures = new AtomicLong();

        Traffic(int tls, int http, int quic, int lb) throws Exception {
            this.tls = tls;
            this.http = http;
            this.quic = quic;
            this.lb = lb;
            this.hellos = new byte[][] {clientHello(NAME, "TLSv1.3", "h2"), clientHello("a." + NAME, "TLSv1.2", null),
                clientHello("unknown.invalid", "TLSv1.3", null), clientHello(BALANCED, "TLSv1.3", null)};
        }

        void run(Duration length) throws InterruptedException {
            long end = System.nanoTime() + length.toNanos();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int kind = t;
                threads.add(Thread.ofPlatform().start(() -> {
                    for (long i = 0; System.nanoTime() < end; i++) {
                        try {
                            if (kind == 2) {
                                quicSession(i);
                            } else {
                                tcpRound(i);
                            }
                        } catch (IOException | GeneralSecurityException e) {
                            failures.incrementAndGet();
                        }
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
        }

        /** The route whose backend is a host name. */
        static final String BY_NAME = "by-name.train.invalid";
        /** The route with two backends, balanced and health-checked, that sends a PROXY v2 header on. */
        static final String BALANCED = "balanced.train.invalid";
        /** What a balancer in front puts before the client's bytes, in text (v1) and binary (v2) form. */
        static final byte[] PROXY_V1 = "PROXY TCP4 192.0.2.10 127.0.0.1 40000 443\r\n".getBytes(StandardCharsets.US_ASCII);
        static final byte[] PROXY_V2 = concat(new byte[] {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
            0x21, 0x11, 0x00, 0x0c}, new byte[] {(byte) 192, 0, 2, 11, 127, 0, 0, 1, (byte) 0x9c, 0x41, 0x01, (byte) 0xbb});

        static byte[] concat(byte[] a, byte[] b) {
            byte[] out = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
        }

        /** {@code limits.maxConnections} of the training config: small, so that {@link #overTheCap} passes it. */
        static final int CAP = 64;

        /** Connections beyond the cap, held open at once: the refusal the acceptor answers with. */
        void overTheCap() throws IOException {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < CAP + 16; i++) {
                    Socket s = new Socket(LOOPBACK, tls);
                    held.add(s);
                }
                connections.addAndGet(held.size());
                byte[] buf = new byte[512];
                Socket last = held.get(held.size() - 1);
                last.setSoTimeout(10_000);
                try {
                    while (last.getInputStream().read(buf) >= 0) {
                        // the alert, then the close
                    }
                } catch (IOException reset) {
                    // or a reset
                }
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
        }

        String summary() {
            return connections.get() + " TCP connections, " + datagrams.get() + " QUIC datagrams echoed, "
                    + failures.get() + " client errors";
        }

        /** One connection of a kind chosen round-robin: most are routed and piped, a few refused. */
        private void tcpRound(long i) throws IOException {
            connections.incrementAndGet();
            switch ((int) (i % 20)) {
                case 0 -> refused(tls, hellos[2]);
                case 1 -> refused(http, "GET / HTTP/1.1\r\nHost: unknown.invalid\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                case 2 -> refused(tls, "\u0016\u0003\u0001garbage-that-is-no-hello".getBytes(StandardCharsets.ISO_8859_1));
                case 3 -> exchange(http, "GET /bulk HTTP/1.1\r\nHost: " + NAME + "\r\n\r\n", 0);
                case 4, 5, 6, 7, 8, 9 -> exchange(http, "GET / HTTP/1.1\r\nHost: " + NAME + "\r\n\r\n", 3);
                case 10 -> exchange(tls, hellos[0], 40, 0);
                case 11 -> exchange(http, "GET / HTTP/1.1\r\nHost: " + BY_NAME + "\r\n\r\n", 1);
                case 12 -> exchange(lb, concat(PROXY_V1, hellos[3]), 2);
                case 13 -> exchange(lb, concat(PROXY_V2, hellos[3]), 2);
                default -> exchange(tls, hellos[(int) (i % 2)], 3);
            }
        }

        private static void exchange(int port, String request, int roundTrips) throws IOException {
            exchange(port, request.getBytes(StandardCharsets.US_ASCII), roundTrips);
        }

        private static void exchange(int port, byte[] hello, int roundTrips) throws IOException {
            exchange(port, hello, hello.length, roundTrips);
        }

        /**
         * Sends the hello (its first {@code firstSegment} bytes alone, the rest after a pause: the
         * proxy buffers a partial hello), then a few chunks, half-closes and reads until the backend's FIN.
         */
        private static void exchange(int port, byte[] hello, int firstSegment, int roundTrips) throws IOException {
            try (Socket s = new Socket(LOOPBACK, port)) {
                s.setSoTimeout(10_000);
                s.setTcpNoDelay(firstSegment < hello.length); // the first segment leaves alone
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                out.write(hello, 0, firstSegment);
                if (firstSegment < hello.length) {
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    out.write(hello, firstSegment, hello.length - firstSegment);
                }
                byte[] chunk = new byte[512];
                RANDOM.nextBytes(chunk);
                for (int i = 0; i < roundTrips; i++) {
                    out.write(chunk);
                }
                s.shutdownOutput();
                byte[] buf = new byte[65536];
                while (in.read(buf) >= 0) {
                    // drain until the FIN passed on from the backend
                }
            }
        }

        private static void refused(int port, byte[] hello) throws IOException {
            try (Socket s = new Socket(LOOPBACK, port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(hello);
                byte[] buf = new byte[4096];
                try {
                    while (s.getInputStream().read(buf) >= 0) {
                        // the proxy answers (421, an alert) or just closes
                    }
                } catch (IOException reset) {
                    // a refusal may reset the connection
                }
            }
        }

        /**
         * A QUIC session: a real v1 Initial with the SNI, then 1-RTT-shaped datagrams echoed back.
         * Every fourth ClientHello comes in two Initials (as a browser's does once post-quantum key
         * shares make it larger than one packet); every tenth session names no route, and its
         * Initial is sent again, as a client retransmits one that got no answer.
         */
        private void quicSession(long i) throws IOException, GeneralSecurityException {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
                s.connect(new InetSocketAddress(LOOPBACK, quic));
                s.setSoTimeout(2000);
                byte[] dcid = new byte[8];
                RANDOM.nextBytes(dcid);
                byte[] hello = Arrays.copyOfRange(hellos[0], 5, hellos[0].length); // the handshake message
                if (i % 10 == 3) {
                    byte[] unknown = Arrays.copyOfRange(hellos[2], 5, hellos[2].length);
                    byte[] initial = QuicInitial.build(dcid, 0, 0, unknown);
                    s.send(new DatagramPacket(initial, initial.length));
                    s.send(new DatagramPacket(initial, initial.length));
                    return; // refused: nothing comes back
                }
                int expected = 1;
                if (i % 4 == 1) {
                    int half = hello.length / 2;
                    s.send(new DatagramPacket(QuicInitial.build(dcid, 0, 0, Arrays.copyOf(hello, half)), 1200));
                    s.send(new DatagramPacket(QuicInitial.build(dcid, 1, half, Arrays.copyOfRange(hello, half, hello.length)), 1200));
                    expected = 2;
                } else {
                    s.send(new DatagramPacket(QuicInitial.build(dcid, 0, 0, hello), 1200));
                }
                byte[] buf = new byte[2048];
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                try {
                    for (int n = 0; n < expected; n++) {
                        s.receive(in);
                    }
                    byte[] shortHeader = new byte[1200];
                    RANDOM.nextBytes(shortHeader);
                    shortHeader[0] = 0x40;
                    System.arraycopy(dcid, 0, shortHeader, 1, dcid.length);
                    for (int r = 0; r < 50; r++) {
                        s.send(new DatagramPacket(shortHeader, shortHeader.length));
                        s.receive(in);
                        datagrams.incrementAndGet();
                    }
                } catch (SocketTimeoutException lost) {
                    failures.incrementAndGet();
                }
            }
        }

        /** A TLS record holding a ClientHello from the JDK's own TLS client, offering this SNI. */
        private static byte[] clientHello(String sni, String protocol, String alpn) throws Exception {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, null, null);
            SSLEngine engine = context.createSSLEngine(sni, 443);
            engine.setUseClientMode(true);
            SSLParameters p = engine.getSSLParameters();
            p.setServerNames(List.of(new SNIHostName(sni)));
            p.setProtocols(new String[] {protocol});
            if (alpn != null) {
                p.setApplicationProtocols(new String[] {alpn});
            }
            engine.setSSLParameters(p);
            ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            engine.wrap(ByteBuffer.allocate(0), out);
            return Arrays.copyOf(out.array(), out.position());
        }
    }

    /** A client Initial packet (RFC 9000 §17.2.2), protected as RFC 9001 §5 says. */
    private static final class QuicInitial {

        private static final byte[] SALT_V1 = hex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");

        /** Packet number {@code pn}, carrying {@code fragment} of the ClientHello at {@code offset}. */
        static byte[] build(byte[] dcid, int pn, int offset, byte[] fragment) throws GeneralSecurityException {
            byte[] secret = expandLabel(extract(SALT_V1, dcid), "client in", 32);
            byte[] key = expandLabel(secret, "quic key", 16);
            byte[] iv = expandLabel(secret, "quic iv", 12);
            byte[] hp = expandLabel(secret, "quic hp", 16);
            ByteBuffer header = ByteBuffer.allocate(64);
            header.put((byte) 0xc3).putInt(1).put((byte) dcid.length).put(dcid).put((byte) 0).put((byte) 0);
            int payloadLength = 1200 - (header.position() + 2 + 4) - 16;
            header.putShort((short) (0x4000 | (4 + payloadLength + 16))).putInt(pn);
            byte[] h = Arrays.copyOf(header.array(), header.position());
            ByteBuffer frames = ByteBuffer.allocate(payloadLength); // zero bytes left over are PADDING
            frames.put((byte) 0x06).putShort((short) (0x4000 | offset)).putShort((short) (0x4000 | fragment.length))
                    .put(fragment);
            byte[] nonce = iv.clone();
            for (int b = 0; b < 4; b++) {
                nonce[nonce.length - 1 - b] ^= (byte) (pn >>> (8 * b));
            }
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            gcm.updateAAD(h);
            byte[] sealed = gcm.doFinal(frames.array());
            byte[] packet = new byte[h.length + sealed.length];
            System.arraycopy(h, 0, packet, 0, h.length);
            System.arraycopy(sealed, 0, packet, h.length, sealed.length);
            int pnOffset = h.length - 4;
            Cipher ecb = Cipher.getInstance("AES/ECB/NoPadding");
            ecb.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(hp, "AES"));
            byte[] mask = ecb.doFinal(packet, pnOffset + 4, 16);
            packet[0] ^= (byte) (mask[0] & 0x0f);
            for (int i = 0; i < 4; i++) {
                packet[pnOffset + i] ^= mask[1 + i];
            }
            return packet;
        }

        private static byte[] extract(byte[] salt, byte[] ikm) throws GeneralSecurityException {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(salt, "HmacSHA256"));
            return mac.doFinal(ikm);
        }

        /** HKDF-Expand-Label with an empty context, for lengths up to one SHA-256 block. */
        private static byte[] expandLabel(byte[] secret, String label, int length) throws GeneralSecurityException {
            byte[] full = ("tls13 " + label).getBytes(StandardCharsets.US_ASCII);
            ByteBuffer info = ByteBuffer.allocate(2 + 1 + full.length + 1 + 1);
            info.putShort((short) length).put((byte) full.length).put(full).put((byte) 0).put((byte) 1);
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return Arrays.copyOf(mac.doFinal(info.array()), length);
        }

        private static byte[] hex(String s) {
            byte[] out = new byte[s.length() / 2];
            for (int i = 0; i < out.length; i++) {
                out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
            }
            return out;
        }
    }
}
