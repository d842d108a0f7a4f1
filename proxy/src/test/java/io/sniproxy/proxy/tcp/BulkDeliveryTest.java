package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.StreamDigest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Bulk streams through real loopback sockets: every byte arrives (exact count and SHA-256) when a
 * peer closes or half-closes right after a burst, in both directions, while the proxy's and the
 * kernel's buffers are full; a reset, the idle timeout and a drain end such a connection; the byte
 * counters are exact. Written as the guard for a kernel {@code splice} path (tried, not kept:
 * docs/benchmarks.md, bench/profiling/splice-drained-tried.diff); it holds for any copy path.
 */
class BulkDeliveryTest {

    static final byte[] HELLO = ClientHellos.tls13("bulk.example.com");
    static final int MIB = 1024 * 1024;
    /** What is left in flight when the sender closes: less than the loopback sockets buffer. */
    static final int TAIL = 2 * MIB;
    static final int READY = 0x2a;
    static final ExecutorService PEERS = Executors.newVirtualThreadPerTaskExecutor();

    ServerSocket backend;
    ProxyHarness proxy;

    void start(String extra) throws Exception {
        backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        proxy = ProxyHarness.start(ProxyHarness.oneTlsRoute("bulk.example.com", backend.getLocalPort()) + extra);
    }

    void start() throws Exception {
        start("");
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @AfterAll
    static void stopPeers() {
        PEERS.shutdownNow();
    }

    @Test
    void aBackendClosingRightAfterABurstHasEveryByteDelivered() throws Exception {
        start();
        Stream_ payload = new Stream_(11, 24 * MIB + 123);
        CompletableFuture<Object> served = peer(() -> {
            try (Socket b = acceptReady()) {
                payload.writeTo(b.getOutputStream(), new Random(1));
            } // close() at once: the FIN follows the last byte, the proxy still holds megabytes
            return null;
        });
        try (Socket client = connect()) {
            StreamDigest sink = new StreamDigest(client.getInputStream());
            sink.read(payload.length - TAIL);
            served.get(30, TimeUnit.SECONDS);
            sink.readToEnd();
            assertThat(sink.digest()).isEqualTo(payload.digest());
        }
        awaitClosed();
        assertThat(proxy.bytes("tls", "downstream")).isEqualTo((double) payload.length + 1);
        assertThat(proxy.bytes("tls", "upstream")).isEqualTo((double) HELLO.length);
        assertThat(proxy.outcome("tls", "routed")).isEqualTo(1.0);
    }

    @Test
    void aClientClosingRightAfterAnUploadHasEveryByteDelivered() throws Exception {
        start();
        Stream_ payload = new Stream_(12, 24 * MIB + 4095);
        CompletableFuture<Socket> accepted = peer(this::acceptReady);
        Socket client = connect();
        try (Socket b = accepted.get(10, TimeUnit.SECONDS)) {
            b.setSoTimeout(30_000);
            InputStream in = b.getInputStream();
            CompletableFuture<Object> sent = peer(() -> {
                try (client) {
                    payload.writeTo(client.getOutputStream(), new Random(2));
                }
                return null;
            });
            StreamDigest sink = new StreamDigest(in);
            sink.read(payload.length - TAIL);
            sent.get(30, TimeUnit.SECONDS);
            sink.readToEnd();
            assertThat(sink.digest()).isEqualTo(payload.digest());
        }
        awaitClosed();
        assertThat(proxy.bytes("tls", "upstream")).isEqualTo((double) (HELLO.length + payload.length));
        assertThat(proxy.bytes("tls", "downstream")).isEqualTo(1.0); // the ready byte
    }

    @Test
    void aBackendThatHalfClosesAfterABurstStillGetsTheClientsUploadAndBothArriveWhole() throws Exception {
        start();
        Stream_ down = new Stream_(13, 9 * MIB + 7);
        Stream_ up = new Stream_(14, 7 * MIB + 5);
        CompletableFuture<String> received = peer(() -> {
            try (Socket b = acceptReady()) {
                b.setSoTimeout(30_000);
                InputStream in = b.getInputStream();
                down.writeTo(b.getOutputStream(), new Random(3));
                b.shutdownOutput(); // FIN, still reading
                StreamDigest sink = new StreamDigest(in);
                sink.readToEnd();
                return sink.digest();
            }
        });
        try (Socket client = connect()) {
            StreamDigest sink = new StreamDigest(client.getInputStream());
            sink.readToEnd(); // up to the backend's FIN, passed on only after every byte before it
            assertThat(sink.digest()).isEqualTo(down.digest());
            up.writeTo(client.getOutputStream(), new Random(4));
            client.shutdownOutput();
            assertThat(client.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(received.get(30, TimeUnit.SECONDS)).isEqualTo(up.digest());
        awaitClosed();
        assertThat(proxy.bytes("tls", "downstream")).isEqualTo((double) down.length + 1);
        assertThat(proxy.bytes("tls", "upstream")).isEqualTo((double) (HELLO.length + up.length));
    }

    @Test
    void aClientThatHalfClosesAfterAnUploadGetsTheWholeResponseAfterwards() throws Exception {
        start();
        Stream_ up = new Stream_(15, 6 * MIB + 1);
        Stream_ down = new Stream_(16, 12 * MIB + 3);
        CompletableFuture<String> received = peer(() -> {
            try (Socket b = acceptReady()) {
                b.setSoTimeout(30_000);
                InputStream in = b.getInputStream();
                StreamDigest sink = new StreamDigest(in);
                sink.readToEnd(); // the client's FIN, passed on after its last byte
                down.writeTo(b.getOutputStream(), new Random(6));
                return sink.digest();
            }
        });
        try (Socket client = connect()) {
            up.writeTo(client.getOutputStream(), new Random(5));
            client.shutdownOutput();
            StreamDigest sink = new StreamDigest(client.getInputStream());
            sink.readToEnd();
            assertThat(sink.digest()).isEqualTo(down.digest());
        }
        assertThat(received.get(30, TimeUnit.SECONDS)).isEqualTo(up.digest());
        awaitClosed();
        assertThat(proxy.bytes("tls", "upstream")).isEqualTo((double) (HELLO.length + up.length));
        assertThat(proxy.bytes("tls", "downstream")).isEqualTo((double) down.length + 1);
    }

    @Test
    void aClientResetMidStreamClosesTheConnection() throws Exception {
        start();
        AtomicLong written = new AtomicLong();
        CompletableFuture<Boolean> writerStopped = peer(() -> {
            try (Socket b = acceptReady()) {
                byte[] chunk = new byte[64 * 1024];
                OutputStream out = b.getOutputStream();
                while (written.get() < 1024L * MIB) { // never reached: the proxy closes first
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
                return false;
            } catch (IOException closedByTheProxy) {
                return true;
            }
        });
        Socket client = connect();
        new StreamDigest(client.getInputStream()).read(3 * MIB);
        client.setSoLinger(true, 0);
        client.close(); // RST while the buffers are full
        assertThat(writerStopped.get(30, TimeUnit.SECONDS)).isTrue();
        awaitClosed();
        assertThat(proxy.outcome("tls", "routed")).isEqualTo(1.0);
        // Counted as read from the backend: at most one chunk more than its finished writes.
        assertThat(proxy.bytes("tls", "downstream")).isLessThanOrEqualTo((double) written.get() + 1 + 64 * 1024)
                .isGreaterThanOrEqualTo(3.0 * MIB);
    }

    @Test
    void aStalledBulkConnectionEndsAtTheIdleTimeout() throws Exception {
        start("""
                timeouts:
                  idle: 1s
                """);
        CompletableFuture<Object> served = peer(() -> {
            try (Socket b = acceptReady()) {
                b.getOutputStream().write(new byte[4 * MIB]); // blocks: nobody reads, then the idle close
            } catch (IOException closedByTheProxy) {
                // expected
            }
            return null;
        });
        try (Socket client = connect()) {
            new StreamDigest(client.getInputStream()).read(256 * 1024); // bulk started, then the client stalls
            await().atMost(Duration.ofSeconds(20)).until(() -> proxy.active("tls") == 0);
            served.get(20, TimeUnit.SECONDS);
        }
        awaitClosed();
    }

    @Test
    void aDrainLetsABulkTransferFinish() throws Exception {
        start();
        Stream_ payload = new Stream_(17, 16 * MIB + 99);
        CompletableFuture<Object> served = peer(() -> {
            try (Socket b = acceptReady()) {
                payload.writeTo(b.getOutputStream(), new Random(7));
            }
            return null;
        });
        CompletableFuture<Object> drained;
        try (Socket client = connect()) {
            StreamDigest sink = new StreamDigest(client.getInputStream());
            sink.read(2 * MIB);
            drained = peer(() -> {
                proxy.server().drain(Duration.ofSeconds(30));
                return null;
            });
            sink.readToEnd();
            assertThat(sink.digest()).isEqualTo(payload.digest());
            served.get(5, TimeUnit.SECONDS);
        } // the client's FIN ends the other direction: the drain sees the connection done
        drained.get(20, TimeUnit.SECONDS);
        awaitClosed();
        assertThat(proxy.bytes("tls", "downstream")).isEqualTo((double) payload.length + 1);
    }

    @Test
    void aDrainBoundReachedClosesABulkConnection() throws Exception {
        start();
        CompletableFuture<Object> served = peer(() -> {
            try (Socket b = acceptReady()) {
                b.getOutputStream().write(new byte[16 * MIB]);
            } catch (IOException closedByTheDrain) {
                // expected
            }
            return null;
        });
        try (Socket client = connect()) {
            new StreamDigest(client.getInputStream()).read(MIB);
            proxy.server().drain(Duration.ZERO); // the client never reads on: forced
            await().atMost(Duration.ofSeconds(10)).until(() -> proxy.active("tls") == 0);
            served.get(20, TimeUnit.SECONDS);
        }
        awaitClosed();
    }

    /** Randomized sizes, chunkings, close styles and reader stalls, in both directions; bounded. */
    @Test
    void randomizedTransfersAndClosesLoseNoByte() throws Exception {
        start();
        long seed = System.nanoTime();
        Random r = new Random(seed);
        long up = 0;
        long down = 0;
        for (int i = 0; i < 12; i++) {
            String what = "seed " + seed + ", round " + i;
            Stream_ toClient = new Stream_(r.nextLong(), r.nextInt(6 * MIB) + (r.nextBoolean() ? 1 : 64 * 1024));
            Stream_ toBackend = new Stream_(r.nextLong(), r.nextBoolean() ? r.nextInt(4 * MIB) + 1 : 0);
            boolean backendCloses = r.nextBoolean(); // else half-closes, then reads the upload
            long stallMillis = r.nextInt(4) * 50L;
            long chunkSeed = r.nextLong();
            CompletableFuture<String> atBackend = peer(() -> {
                try (Socket b = acceptReady()) {
                    b.setSoTimeout(30_000);
                    InputStream in = b.getInputStream();
                    StreamDigest sink = new StreamDigest(in);
                    sink.read(toBackend.length);
                    toClient.writeTo(b.getOutputStream(), new Random(chunkSeed));
                    if (!backendCloses) {
                        b.shutdownOutput();
                        sink.readToEnd();
                    }
                    return sink.digest();
                }
            });
            try (Socket client = connect()) {
                CompletableFuture<Object> uploaded = peer(() -> {
                    toBackend.writeTo(client.getOutputStream(), new Random(chunkSeed + 1));
                    if (!backendCloses) {
                        client.shutdownOutput();
                    }
                    return null;
                });
                StreamDigest sink = new StreamDigest(client.getInputStream());
                sink.read(toClient.length / 3);
                Thread.sleep(stallMillis); // the backend may finish and close meanwhile
                sink.readToEnd();
                assertThat(sink.digest()).as(what).isEqualTo(toClient.digest());
                uploaded.get(30, TimeUnit.SECONDS);
            }
            assertThat(atBackend.get(30, TimeUnit.SECONDS)).as(what).isEqualTo(toBackend.digest());
            up += HELLO.length + toBackend.length;
            down += 1 + toClient.length;
            long u = up;
            long d = down;
            await().atMost(Duration.ofSeconds(10)).alias(what).until(() -> proxy.active("tls") == 0
                    && proxy.bytes("tls", "upstream") == u && proxy.bytes("tls", "downstream") == d);
        }
        awaitClosed();
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /**
     * A client whose connection is piping: it sent the hello and got the backend's ready byte (an
     * upload before the backend is connected would be early data, bounded by the hello limit).
     */
    Socket connect() throws IOException {
        Socket client = new Socket(InetAddress.getLoopbackAddress(), proxy.port("tls"));
        client.setSoTimeout(30_000);
        client.getOutputStream().write(HELLO);
        assertThat(client.getInputStream().read()).isEqualTo(READY);
        return client;
    }

    /** The backend side: the hello, then one byte that tells the client it is through. */
    Socket acceptReady() throws IOException {
        Socket b = backend.accept();
        b.setSoTimeout(30_000);
        assertThat(b.getInputStream().readNBytes(HELLO.length)).isEqualTo(HELLO);
        b.getOutputStream().write(READY);
        return b;
    }

    void awaitClosed() {
        await().atMost(Duration.ofSeconds(10)).until(() -> proxy.active("tls") == 0);
    }

    static <T> CompletableFuture<T> peer(Callable<T> work) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return work.call();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, PEERS);
    }

    /** A seeded random stream of {@code length} bytes, written in random-sized chunks. */
    record Stream_(long seed, int length) {
        void writeTo(OutputStream out, Random chunks) throws IOException {
            Random bytes = new Random(seed);
            byte[] buf = new byte[256 * 1024];
            int left = length;
            while (left > 0) {
                int n = Math.min(left, 1 + chunks.nextInt(buf.length));
                fill(bytes, buf, n);
                out.write(buf, 0, n);
                left -= n;
            }
            out.flush();
        }

        String digest() {
            MessageDigest sha = StreamDigest.sha256();
            Random bytes = new Random(seed);
            byte[] buf = new byte[256 * 1024];
            int left = length;
            while (left > 0) {
                int n = Math.min(left, buf.length);
                fill(bytes, buf, n);
                sha.update(buf, 0, n);
                left -= n;
            }
            return StreamDigest.format(length, sha);
        }

        /** The stream's bytes do not depend on the chunking: one random byte at a time. */
        private static void fill(Random bytes, byte[] buf, int n) {
            for (int i = 0; i < n; i++) {
                buf[i] = (byte) bytes.nextInt();
            }
        }
    }
}
