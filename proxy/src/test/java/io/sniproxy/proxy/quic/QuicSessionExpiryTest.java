package io.sniproxy.proxy.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The founding incident, UDP edition: over a thousand client addresses each get a session and a
 * connected backend socket; after {@code timeouts.udpSession} of silence every session is gone, the
 * gauge reads 0 and the process's open file descriptors (counted in /proc/self/fd) are back at
 * their baseline.
 */
class QuicSessionExpiryTest {

    static final int SESSIONS = 1_200;
    static final int CONCURRENCY = 32;

    @Test
    void everySessionExpiresAndFileDescriptorsReturnToBaselineAfterOverAThousandSessions() throws Exception {
        byte[] initial = QuicProxyFixture.initial("0102030405060708");
        try (UdpRecorder backend = new UdpRecorder(true);
                QuicProxyFixture quic = QuicProxyFixture.start(backend.address(), """
                        timeouts:
                          udpSession: 4s
                        limits:
                          maxUdpSessions: 5000
                        """)) {
            QuicListenerFactory factory = quic.factory();
            InetSocketAddress listener = quic.listener();
            // Warm up the same way the test runs (virtual threads: the JDK makes its I/O pollers on
            // first use), so lazily created descriptors belong in the baseline.
            AtomicInteger failures = new AtomicInteger();
            run(listener, initial, CONCURRENCY, failures);
            await().atMost(Duration.ofSeconds(15)).until(() -> quic.sessions() == 0);
            long baseline = openFds();

            long start = System.nanoTime();
            run(listener, initial, SESSIONS, failures);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            double peakSessions = quic.sessions();
            long peakFds = openFds();

            long expiryStart = System.nanoTime();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .until(() -> quic.sessions() == 0);
            long expiryMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - expiryStart);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                    .until(() -> openFds() <= baseline + 3);
            long after = openFds();
            System.out.printf("quic expiry test: %d clients answered in %d ms (%.0f sessions routed, warm-up included); peak gauge=%.0f; fds baseline=%d "
                    + "peak=%d after=%d; all expired %d ms after the last was made%n", SESSIONS, millis,
                    quic.outcome("routed"),
                    peakSessions, baseline, peakFds, after, expiryMillis);

            assertThat(failures.get()).as("clients without an answer").isZero();
            // a closed client's port may be reused by a later client while its session is still open:
            // that client then joins the session, as it would at any NAT
            assertThat(quic.outcome("routed")).isBetween(1000.0, (double) SESSIONS + CONCURRENCY);
            assertThat(peakSessions).as("sessions still open right after the last answer").isGreaterThan(1000);
            assertThat(peakFds - baseline).as("one backend socket per open session").isGreaterThan(1000);
            assertThat(quic.sessions()).isZero();
            assertThat(factory.openSessions()).isZero();
            assertThat(factory.pendingBytes()).isZero();
            assertThat(after).isLessThanOrEqualTo(baseline + 3);
        }
    }

    /** {@code sessions} client addresses, {@link #CONCURRENCY} at a time, on virtual threads. */
    private static void run(InetSocketAddress listener, byte[] initial, int sessions, AtomicInteger failures)
            throws InterruptedException {
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        Semaphore inFlight = new Semaphore(CONCURRENCY);
        for (int i = 0; i < sessions; i++) {
            inFlight.acquire();
            pool.execute(() -> {
                try {
                    roundTrip(listener, initial);
                } catch (Exception e) {
                    failures.incrementAndGet();
                } finally {
                    inFlight.release();
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(2, TimeUnit.MINUTES)).isTrue();
    }

    /** One client address: sends the Initial (again, if the answer is late) until the backend's echo arrives. */
    private static void roundTrip(InetSocketAddress listener, byte[] initial) throws IOException {
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            client.setSoTimeout(500);
            byte[] buf = new byte[2048];
            for (int attempt = 0; attempt < 10; attempt++) {
                client.send(new DatagramPacket(initial, initial.length, listener));
                try {
                    client.receive(new DatagramPacket(buf, buf.length));
                    return;
                } catch (SocketTimeoutException e) {
                    // UDP: lost on a full receive buffer; a QUIC client would retransmit too
                }
            }
            throw new IOException("no answer");
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
