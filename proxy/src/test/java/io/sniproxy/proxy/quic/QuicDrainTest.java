package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.QuicProxyFixture.client;
import static io.sniproxy.proxy.quic.QuicProxyFixture.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ProxyHarness;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A drain (SIGTERM) keeps open QUIC sessions forwarding, takes no new client, and bounds the wait. */
class QuicDrainTest {

    static final byte[] INITIAL = QuicProxyFixture.initial(new byte[] {9, 9, 9, 9});

    @Test
    void drainWaitsForAnOpenSessionWhichKeepsForwardingUntilItExpires() throws Exception {
        try (UdpRecorder backend = new UdpRecorder(true);
                QuicProxyFixture quic = QuicProxyFixture.start(backend.address(), udpSession("1500ms"));
                DatagramSocket open = client();
                DatagramSocket late = client()) {
            ProxyHarness proxy = quic.proxy();
            InetSocketAddress listener = quic.listener();
            exchange(open, listener, INITIAL);
            assertThat(proxy.server().openSessions()).isEqualTo(1);

            long start = System.nanoTime();
            CompletableFuture<Void> drain = CompletableFuture.runAsync(() -> proxy.server().drain(Duration.ofSeconds(30)));
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().draining());

            exchange(open, listener, new byte[] {0x41, 1}); // the open session still forwards both ways
            assertThat(backend.received()).hasSize(2);
            // Resent like a real client: a per-loop socket without sessions may close with it queued.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(250)).until(() -> {
                late.send(new DatagramPacket(INITIAL, INITIAL.length, listener));
                return proxy.udpDrops("quic", "draining") >= 1;
            });
            assertThat(drain).isNotDone();

            // The session expires after 1.5 s of silence; the drain ends then, far before its 30 s bound.
            drain.get(15, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
            assertThat(proxy.server().openSessions()).isZero();
            assertThat(proxy.udpSessions("quic")).isZero();
            assertThat(backend.received()).hasSize(2);
        }
    }

    @Test
    void drainBoundClosesSessionsThatOutliveIt() throws Exception {
        try (UdpRecorder backend = new UdpRecorder(true);
                QuicProxyFixture quic = QuicProxyFixture.start(backend.address(), udpSession("60s"));
                DatagramSocket open = client()) {
            ProxyHarness proxy = quic.proxy();
            InetSocketAddress listener = quic.listener();
            exchange(open, listener, INITIAL);

            long start = System.nanoTime();
            proxy.server().drain(Duration.ofMillis(500));
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.server().openSessions() == 0);
            assertThat(proxy.udpSessions("quic")).isZero();
            assertThat(proxy.outcome("quic", "routed")).isEqualTo(1); // counted once, as routed
        }
    }

    private static String udpSession(String silence) {
        return "timeouts:\n  udpSession: " + silence + "\n";
    }

}
