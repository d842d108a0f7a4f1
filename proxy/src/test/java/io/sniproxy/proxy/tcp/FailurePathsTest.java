package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every timeout firing, refused and resetting peers, the connection limit, and backpressure. */
class FailurePathsTest {

    // Made up front: the first hello of a JVM takes longer than the short hello timeout below.
    static final byte[] ECHO = ClientHellos.tls13("echo.example.com");
    static final byte[] REFUSED = ClientHellos.tls13("refused.example.com");
    static final byte[] BLACKHOLE = ClientHellos.tls13("blackhole.example.com");
    static final byte[] FIREHOSE = ClientHellos.tls13("firehose.example.com");

    static RecordingServer echo;
    static ServerSocket blackhole;
    static List<Socket> blackholeFillers = new ArrayList<>();
    static int closedPort;
    static ProxyHarness proxy;

    @BeforeAll
    static void start() throws Exception {
        echo = new RecordingServer(true);
        closedPort = ProxyHarness.freePort();
        // A backend whose accept queue is full: further SYNs are dropped, so connect() hangs.
        blackhole = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        for (int i = 0; i < 8; i++) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), blackhole.getLocalPort()), 300);
                blackholeFillers.add(s);
            } catch (IOException full) {
                s.close();
                break;
            }
        }
        proxy = ProxyHarness.start("""
                listeners:
                  - name: tls
                    address: 127.0.0.1:${port:tls}
                    protocol: tls
                  - name: limited
                    address: 127.0.0.1:${port:limited}
                    protocol: tls
                routes:
                  - hostnames: [echo.example.com]
                    backend: %s
                  - hostnames: [refused.example.com]
                    backend: 127.0.0.1:%d
                  - hostnames: [blackhole.example.com]
                    backend: 127.0.0.1:%d
                timeouts:
                  clientHello: 500ms
                  connect: 700ms
                  idle: 800ms
                limits:
                  maxConnections: 1000
                """.formatted(echo.address(), closedPort, blackhole.getLocalPort()));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        echo.close();
        for (Socket s : blackholeFillers) {
            s.close();
        }
        blackhole.close();
    }

    @Test
    void clientHelloTimeoutClosesASilentClient() throws Exception {
        double before = proxy.outcome("tls", "timeout");
        long start = System.nanoTime();
        try (Socket s = connect("tls")) {
            s.getOutputStream().write(ECHO, 0, 20); // a hello that never completes
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(400), Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.outcome("tls", "timeout") > before);
    }

    @Test
    void connectTimeoutClosesTheClientAndCountsConnectFailed() throws Exception {
        double before = proxy.outcome("tls", "connect_failed");
        long start = System.nanoTime();
        try (Socket s = connect("tls")) {
            s.getOutputStream().write(BLACKHOLE);
            assertThat(TlsRoutingTest.readUntilClosed(s.getInputStream())).isZero();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(600), Duration.ofSeconds(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.outcome("tls", "connect_failed") > before);
    }

    @Test
    void refusingBackendClosesTheClient() throws Exception {
        double before = proxy.outcome("tls", "connect_failed");
        try (Socket s = connect("tls")) {
            s.getOutputStream().write(REFUSED);
            assertThat(TlsRoutingTest.readUntilClosed(s.getInputStream())).isZero();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.outcome("tls", "connect_failed") > before);
    }

    @Test
    void idleTimeoutClosesBothSides() throws Exception {
        int before = echo.accepted();
        try (Socket s = connect("tls")) {
            // Timed from before the write: the proxy's last activity is after it, so the 800 ms idle
            // timeout cannot close the connection sooner than this measures (whatever the load).
            long start = System.nanoTime();
            s.getOutputStream().write(ECHO);
            await().atMost(Duration.ofSeconds(5)).until(() -> echo.accepted() > before);
            RecordingServer.Conn backendSide = HttpRoutingTest.last(echo);
            s.getInputStream().readNBytes(ECHO.length); // the echo
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(750));
            await().atMost(Duration.ofSeconds(5)).until(backendSide::closed);
        }
    }

    @Test
    void activityKeepsAConnectionPastTheIdleTimeout() throws Exception {
        try (Socket s = connect("tls")) {
            byte[] hello = ECHO;
            s.getOutputStream().write(hello);
            s.getInputStream().readNBytes(hello.length);
            // 20 × 100 ms = 2 s > the 800 ms idle timeout; short gaps leave a loaded machine 700 ms of slack each
            for (int i = 0; i < 20; i++) {
                Thread.sleep(100);
                s.getOutputStream().write(new byte[] {(byte) i});
                assertThat(s.getInputStream().read()).isEqualTo(i);
            }
        }
    }

    @Test
    void clientResetMidStreamClosesTheBackend() throws Exception {
        int before = echo.accepted();
        Socket s = connect("tls");
        s.getOutputStream().write(ECHO);
        await().atMost(Duration.ofSeconds(5)).until(() -> echo.accepted() > before);
        RecordingServer.Conn backendSide = HttpRoutingTest.last(echo);
        s.setSoLinger(true, 0);
        s.close(); // RST
        await().atMost(Duration.ofSeconds(5)).until(backendSide::closed);
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.active("tls") == 0);
    }

    @Test
    void backendResetMidStreamClosesTheClient() throws Exception {
        int before = echo.accepted();
        try (Socket s = connect("tls")) {
            s.getOutputStream().write(ECHO);
            await().atMost(Duration.ofSeconds(5)).until(() -> echo.accepted() > before);
            Socket backendSide = HttpRoutingTest.last(echo).socket();
            backendSide.setSoLinger(true, 0);
            backendSide.close();
            s.setSoTimeout(5000);
            TlsRoutingTest.readUntilClosed(s.getInputStream());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.active("tls") == 0);
    }

    @Test
    void connectionsBeyondTheLimitAreRefusedAndCounted() throws Exception {
        try (ProxyHarness small = ProxyHarness.start("""
                listeners:
                  - name: tls
                    address: 127.0.0.1:${port:tls}
                    protocol: tls
                routes:
                  - hostnames: [echo.example.com]
                    backend: %s
                limits:
                  maxConnections: 2
                """.formatted(echo.address()))) {
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), small.port("tls"));
                    held.add(s);
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> small.active("tls") == 2);
                try (Socket third = new Socket(InetAddress.getLoopbackAddress(), small.port("tls"))) {
                    third.setSoTimeout(5000);
                    // A fatal internal_error alert, then the close: no backend socket was attempted.
                    assertThat(third.getInputStream().readAllBytes())
                            .containsExactly(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50);
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> small.outcome("tls", "refused_limit") == 1);
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> small.active("tls") == 0);
            try (Socket again = new Socket(InetAddress.getLoopbackAddress(), small.port("tls"))) {
                again.getOutputStream().write(ECHO);
                assertThat(again.getInputStream().readNBytes(5)).hasSize(5); // echoed: the slot was freed
            }
        }
    }

    @Test
    void aClientThatDoesNotReadThrottlesTheBackendInsteadOfGrowingMemory() throws Exception {
        try (ServerSocket firehose = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
                ProxyHarness p = ProxyHarness.start("""
                        listeners:
                          - name: tls
                            address: 127.0.0.1:${port:tls}
                            protocol: tls
                        routes:
                          - hostnames: [firehose.example.com]
                            backend: 127.0.0.1:%d
                        """.formatted(firehose.getLocalPort()))) {
            AtomicLong written = new AtomicLong();
            Thread writer = Thread.ofVirtual().start(() -> {
                try (Socket b = firehose.accept()) {
                    OutputStream out = b.getOutputStream();
                    byte[] chunk = new byte[64 * 1024];
                    for (int i = 0; i < 4096; i++) { // offers 256 MiB; a throttled pipe takes a few MiB
                        out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException closed) {
                    // the proxy closed it at the end of the test
                }
            });
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), p.port("tls"))) {
                client.setReceiveBufferSize(64 * 1024);
                client.getOutputStream().write(FIREHOSE);
                await().atMost(Duration.ofSeconds(5)).until(() -> written.get() > 0);
                // Wait until the writer is blocked: no progress over half a second.
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).until(new Stalled(written));
                long stalledAt = written.get();
                assertThat(stalledAt).as("bytes the backend got rid of while the client read nothing")
                        .isLessThan(48L * 1024 * 1024);
                // Reading resumes the flow.
                InputStream in = client.getInputStream();
                byte[] buf = new byte[1 << 20];
                long read = 0;
                while (read < stalledAt + 4 * 1024 * 1024) {
                    int n = in.read(buf);
                    if (n < 0) {
                        break;
                    }
                    read += n;
                }
                assertThat(written.get()).isGreaterThan(stalledAt);
            }
            writer.join(10_000);
        }
    }

    private static final class Stalled implements java.util.concurrent.Callable<Boolean> {
        private final AtomicLong counter;
        private long last = -1;

        Stalled(AtomicLong counter) {
            this.counter = counter;
        }

        @Override
        public Boolean call() {
            long now = counter.get();
            boolean stalled = now == last;
            last = now;
            return stalled;
        }
    }

    private static Socket connect(String listener) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port(listener));
        s.setSoTimeout(10_000);
        return s;
    }
}
