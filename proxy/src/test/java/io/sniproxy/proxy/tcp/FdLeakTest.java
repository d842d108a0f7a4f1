package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.metrics.Outcome;
import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The founding incident as a test: ≥ 10,000 concurrent connections over every path a connection
 * can take — routed, reset, refused, timed out, malformed, unmatched — and afterwards the
 * process's open file descriptors (read from /proc/self/fd) are back at their baseline and the
 * active-connections gauge reads 0.
 */
class FdLeakTest {

    /** 10,400 in CI; the soak command ({@code bin/soak.sh}) raises it. */
    static final int CONNECTIONS = Integer.getInteger("sniproxy.fdtest.connections", 10_400);
    static final int CONCURRENCY = 96;
    // Made before any connection opens: the JDK's first hello takes longer than the 300 ms hello timeout.
    static final byte[] ECHO_HELLO = ClientHellos.tls13("echo.example.com");
    static final byte[] NOBODY_HELLO = ClientHellos.tls13("nobody.example.com");
    static final byte[] REFUSED_HELLO = ClientHellos.tls13("refused.example.com");
    static final byte[] RESET_HELLO = ClientHellos.tls13("reset.example.com");
    static final byte[] LARGE_HELLO = ClientHellos.large("echo.example.com", 6000);

    enum Path_ { ROUTED, CLIENT_RESET, CLIENT_LEAVES_EARLY, UNKNOWN_NAME, GARBAGE, TRUNCATED, REFUSED_BACKEND,
        HTTP_421, HTTP_ROUTED, HELLO_TIMEOUT, BACKEND_RESET, OVER_CAP, HALF_CLOSE }

    @Test
    void fileDescriptorsReturnToBaselineAfterTenThousandConnectionsOverEveryPath() throws Exception {
        int refusedPort = ProxyHarness.freePort();
        try (RecordingServer echo = new RecordingServer(true);
                RecordingServer resetter = new RecordingServer(false);
                ProxyHarness proxy = ProxyHarness.start("""
                        listeners:
                          - name: tls
                            address: 127.0.0.1:${port:tls}
                            protocol: tls
                          - name: http
                            address: 127.0.0.1:${port:http}
                            protocol: http
                        routes:
                          - hostnames: [echo.example.com]
                            backend: %s
                          - hostnames: [reset.example.com]
                            backend: %s
                          - hostnames: [refused.example.com]
                            backend: 127.0.0.1:%d
                        timeouts:
                          clientHello: 300ms
                          connect: 2s
                          idle: 10s
                        limits:
                          maxClientHelloBytes: 4096
                        """.formatted(echo.address(), resetter.address(), refusedPort))) {
            Thread.ofVirtual().start(() -> resetEverything(resetter));
            Map<Path_, AtomicInteger> done = new ConcurrentHashMap<>();
            // Warm up every path once, so lazily created descriptors (epoll, JIT, log files) exist in the baseline.
            for (Path_ p : Path_.values()) {
                run(p, proxy);
            }
            awaitQuiet(proxy);
            long baseline = openFds();

            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            Semaphore inFlight = new Semaphore(CONCURRENCY);
            AtomicInteger failures = new AtomicInteger();
            long start = System.nanoTime();
            for (int i = 0; i < CONNECTIONS; i++) {
                Path_ p = Path_.values()[i % Path_.values().length];
                inFlight.acquire();
                pool.execute(() -> {
                    try {
                        run(p, proxy);
                        done.computeIfAbsent(p, k -> new AtomicInteger()).incrementAndGet();
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    } finally {
                        inFlight.release();
                    }
                });
            }
            pool.shutdown();
            assertThat(pool.awaitTermination(Math.max(5, CONNECTIONS / 2_000), TimeUnit.MINUTES)).isTrue();
            long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);

            awaitQuiet(proxy);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> openFds() <= baseline + 3);
            long after = openFds();
            Map<String, Double> outcomes = new TreeMap<>();
            for (String l : new String[] {"tls", "http"}) {
                for (Outcome o : Outcome.values()) {
                    outcomes.put(l + "/" + o.label(), proxy.outcome(l, o.label()));
                }
            }
            System.out.printf("fd test: %d connections in %d s over %s; fds baseline=%d after=%d; outcomes %s%n",
                    CONNECTIONS, seconds, new TreeMap<>(done), baseline, after, outcomes);
            assertThat(failures.get()).as("client-side failures").isZero();
            assertThat(proxy.active("tls")).isZero();
            assertThat(proxy.active("http")).isZero();
            assertThat(proxy.server().openConnections()).isZero();
            assertThat(after).isLessThanOrEqualTo(baseline + 3);
            double total = outcomes.values().stream().mapToDouble(Double::doubleValue).sum();
            assertThat(total).as("every connection counted exactly once")
                    .isEqualTo(CONNECTIONS + Path_.values().length);
        }
    }

    private static void awaitQuiet(ProxyHarness proxy) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> proxy.server().openConnections() == 0);
    }

    static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    private static void resetEverything(RecordingServer resetter) {
        // The "reset" backend: each accepted connection is reset by the backend shortly after it opens.
        int seen = 0;
        while (true) {
            var conns = resetter.connections();
            for (; seen < conns.size(); seen++) {
                Socket s = conns.get(seen).socket();
                try {
                    s.setSoLinger(true, 0);
                    s.close();
                } catch (IOException ignored) {
                    // already gone
                }
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void run(Path_ path, ProxyHarness proxy) throws IOException {
        boolean http = path == Path_.HTTP_421 || path == Path_.HTTP_ROUTED;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port(http ? "http" : "tls"))) {
            s.setSoTimeout(15_000);
            InputStream in = s.getInputStream();
            switch (path) {
                case ROUTED -> {
                    byte[] hello = ECHO_HELLO;
                    s.getOutputStream().write(hello);
                    byte[] back = in.readNBytes(hello.length);
                    if (!Arrays.equals(back, hello)) {
                        throw new IOException("echo mismatch: got " + back.length + " of " + hello.length);
                    }
                }
                case CLIENT_RESET -> {
                    byte[] hello = ECHO_HELLO;
                    s.getOutputStream().write(hello);
                    in.readNBytes(hello.length);
                    s.setSoLinger(true, 0);
                }
                case CLIENT_LEAVES_EARLY -> s.getOutputStream().write(ECHO_HELLO);
                case HALF_CLOSE -> { // the FIN travels to the echo backend, which closes; its close comes back
                    s.getOutputStream().write(ECHO_HELLO);
                    s.shutdownOutput();
                    byte[] back = in.readAllBytes();
                    if (!Arrays.equals(back, ECHO_HELLO)) {
                        throw new IOException("half-close echo mismatch: got " + back.length + " of " + ECHO_HELLO.length);
                    }
                }
                case UNKNOWN_NAME -> {
                    s.getOutputStream().write(NOBODY_HELLO);
                    drain(in);
                }
                case GARBAGE -> {
                    s.getOutputStream().write("\u0016\u0003\u0001\u0000\u0005hello-garbage".getBytes(StandardCharsets.ISO_8859_1));
                    drain(in);
                }
                case TRUNCATED -> {
                    s.getOutputStream().write(Arrays.copyOf(ECHO_HELLO, 50));
                    s.shutdownOutput();
                    drain(in);
                }
                case REFUSED_BACKEND -> {
                    s.getOutputStream().write(REFUSED_HELLO);
                    drain(in);
                }
                case HTTP_421 -> {
                    s.getOutputStream().write("GET / HTTP/1.1\r\nHost: nobody.example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    drain(in);
                }
                case HTTP_ROUTED -> {
                    byte[] req = "GET / HTTP/1.1\r\nHost: echo.example.com\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                    s.getOutputStream().write(req);
                    in.readNBytes(req.length);
                }
                case HELLO_TIMEOUT -> drain(in);
                case BACKEND_RESET -> {
                    s.getOutputStream().write(RESET_HELLO);
                    drain(in);
                }
                case OVER_CAP -> {
                    try {
                        s.getOutputStream().write(LARGE_HELLO);
                    } catch (IOException closedEarly) {
                        return;
                    }
                    drain(in);
                }
            }
        }
    }

    private static void drain(InputStream in) throws IOException {
        try {
            in.readAllBytes();
        } catch (java.net.SocketException reset) {
            // the proxy's close may arrive as a reset when request bytes were left unread
        }
    }
}
