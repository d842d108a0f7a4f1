package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.InitialPackets.concat;
import static io.sniproxy.proxy.quic.InitialPackets.crypto;
import static io.sniproxy.proxy.quic.InitialPackets.seal;
import static io.sniproxy.proxy.quic.QuicProxyFixture.client;
import static io.sniproxy.proxy.quic.QuicProxyFixture.receive;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The quic listener driven datagram by datagram from plain UDP sockets, with Initials built by
 * {@link InitialPackets}: ordering, buffering limits, timeouts, refusals and their drop counters.
 */
class QuicSessionTest {

    static final byte[] CID = HexFormat.of().parseHex("a1a2a3a4a5a6a7a8");

    UdpRecorder api;
    UdpRecorder other;
    QuicProxyFixture quic;
    ProxyHarness proxy;

    @BeforeEach
    void start() throws Exception {
        api = new UdpRecorder(true);
        other = new UdpRecorder(true);
        quic = QuicProxyFixture.start(api.address(), """
                  - hostnames: ["*.example.com"]
                    backend: %s
                  - hostnames: [other.example.net]
                    backend: %s
                  - hostnames: [localhost]
                    backend: "*"
                timeouts:
                  clientHello: 700ms
                  udpSession: 2s
                limits:
                  maxUdpSessions: 3
                  maxClientHelloBytes: 8192
                """.formatted(api.address(), other.address()));
        proxy = quic.proxy();
    }

    @AfterEach
    void stop() throws Exception {
        quic.close();
        api.close();
        other.close();
    }

    @Test
    void aClientHelloSpanningTwoInitialsDeliveredSwappedIsRoutedAndBothArriveUnchangedInOrder() throws Exception {
        byte[] hello = ClientHellos.handshakeMessage(ClientHellos.large("api.example.com", 1900));
        int half = hello.length / 2;
        byte[] first = seal(QuicVersion.V1, CID, new byte[0], 0, crypto(hello, 0, half), 1200);
        byte[] second = seal(QuicVersion.V1, CID, new byte[0], 1, crypto(hello, half, hello.length), 1200);
        byte[] later = {0x41, 1, 2, 3, 4, 5, 6, 7, 8}; // a short-header packet once the session is routed
        try (DatagramSocket client = client()) {
            quic.send(client, second);
            assertThat(proxy.outcome("quic", "routed")).isZero();
            quic.send(client, first);
            await().atMost(Duration.ofSeconds(5)).until(() -> api.received().size() >= 2);
            quic.send(client, later);
            await().atMost(Duration.ofSeconds(5)).until(() -> api.received().size() >= 3);

            assertThat(api.received()).extracting(UdpRecorder.Received::payload)
                    .containsExactly(second, first, later);
            // one backend socket per session: every datagram came from the same proxy address
            assertThat(api.received()).extracting(UdpRecorder.Received::from).containsOnly(api.received().get(0).from());
            // replies come back from the listener's own address
            for (int i = 0; i < 3; i++) {
                DatagramPacket reply = receive(client);
                assertThat(reply.getSocketAddress()).isEqualTo(quic.listener());
                assertThat(new String(reply.getData(), 0, 5)).isEqualTo("echo:");
            }
        }
        assertThat(other.received()).isEmpty();
        assertThat(proxy.outcome("quic", "routed")).isEqualTo(1);
        assertThat(quic.datagrams("upstream")).isEqualTo(3);
        assertThat(quic.datagrams("downstream")).isEqualTo(3);
        assertThat(proxy.bytes("quic", "upstream")).isEqualTo(first.length + second.length + later.length);
    }

    @Test
    void garbageNonInitialsAndUndecryptablePacketsAreDroppedAndCountedWithoutSessions() throws Exception {
        byte[] initial = seal(QuicVersion.V2, CID, new byte[0], 0, crypto(ClientHellos.handshakeMessage(
                ClientHellos.tls13("api.example.com")), 0, 100), 1200);
        byte[] tampered = initial.clone();
        tampered[700] ^= 0x55;
        byte[] unknownVersion = initial.clone();
        unknownVersion[1] = 0x0a; // 0x0a..: a reserved (greasing) version
        try (DatagramSocket client = client()) {
            quic.send(client, "GET / HTTP/1.1\r\n\r\n".getBytes());
            quic.send(client, new byte[] {0x40, 1, 2, 3});
            quic.send(client, tampered);
            quic.send(client, unknownVersion);
            quic.send(client, seal(QuicVersion.V2, CID, new byte[0], 0, new byte[] {0x01}, 900));
            quic.send(client, Arrays.copyOf(initial, 900)); // its Length runs past the datagram
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.drops("not_initial") == 2
                    && quic.drops("undecryptable") == 1 && quic.drops("unsupported_version") == 1 && quic.drops("too_small") == 1
                    && quic.drops("malformed") == 1);
        }
        assertThat(quic.sessions()).isZero();
        assertThat(api.received()).isEmpty();
        assertThat(other.received()).isEmpty();
    }

    @Test
    void anIncompleteHelloTimesOutAndItsBufferedDatagramsAreDropped() throws Exception {
        byte[] hello = ClientHellos.handshakeMessage(ClientHellos.large("api.example.com", 1900));
        byte[] first = seal(QuicVersion.V1, CID, new byte[0], 0, crypto(hello, 0, 1000), 1200);
        try (DatagramSocket client = client()) {
            quic.send(client, first);
            await().atMost(Duration.ofSeconds(2)).until(() -> quic.sessions() == 1);
            quic.send(client, new byte[] {0x41, 9, 9}); // buffered too
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.sessions() == 0);
        }
        assertThat(quic.drops("hello_timeout")).isEqualTo(2);
        assertThat(proxy.outcome("quic", "timeout")).isEqualTo(1);
        assertThat(api.received()).isEmpty();
    }

    @Test
    void unmatchedNamesAndTransparentRoutesToLoopbackReachNoBackend() throws Exception {
        for (String name : new String[] {"nobody.example.org", "localhost"}) {
            byte[] hello = ClientHellos.handshakeMessage(ClientHellos.tls13(name));
            try (DatagramSocket client = client()) {
                quic.send(client, seal(QuicVersion.V1, CID, new byte[0], 0, crypto(hello, 0, hello.length), 1200));
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("quic", "no_route") == 2);
        await().atMost(Duration.ofSeconds(5)).until(() -> quic.sessions() == 0);
        assertThat(quic.drops("no_route")).isEqualTo(2);
        assertThat(api.received()).isEmpty();
        assertThat(other.received()).isEmpty();
    }

    @Test
    void aRefusedClientsRetransmissionsAreDroppedAtOnceAndOpenNoSecondSessionForClientHello() throws Exception {
        byte[] hello = ClientHellos.handshakeMessage(ClientHellos.tls13("nobody.example.org"));
        byte[] initial = seal(QuicVersion.V1, CID, new byte[0], 0, crypto(hello, 0, hello.length), 1200);
        byte[] otherAttempt = seal(QuicVersion.V1, HexFormat.of().parseHex("b1b2b3b4b5b6b7b8"), new byte[0], 0,
                crypto(hello, 0, hello.length), 1200);
        try (DatagramSocket client = client()) {
            quic.send(client, initial);
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("quic", "no_route") == 1 && quic.sessions() == 0);
            long refusedBy = System.nanoTime();
            quic.send(client, initial); // the client heard nothing: it retransmits
            quic.send(client, initial);
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.drops("refused_retransmit") == 2);
            assertThat(proxy.outcome("quic", "no_route")).isEqualTo(1);
            assertThat(quic.sessions()).isZero();

            quic.send(client, otherAttempt); // a new connection attempt (new DCID) is judged afresh
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("quic", "no_route") == 2);

            // timeouts.clientHello (700 ms) after the refusal, the first attempt's ID is judged afresh too
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100)).until(() -> {
                quic.send(client, initial);
                return proxy.outcome("quic", "no_route") == 3;
            });
            assertThat(System.nanoTime() - refusedBy).isGreaterThanOrEqualTo(Duration.ofMillis(600).toNanos());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> quic.sessions() == 0);
        assertThat(proxy.outcome("quic", "timeout")).isZero();
        assertThat(api.received()).isEmpty();
        assertThat(other.received()).isEmpty();
    }

    @Test
    void sessionsBeyondMaxUdpSessionsAreRefusedAndCounted() throws Exception {
        byte[] hello = ClientHellos.handshakeMessage(ClientHellos.tls13("other.example.net"));
        byte[] initial = seal(QuicVersion.V1, CID, new byte[0], 0, crypto(hello, 0, hello.length), 1200);
        DatagramSocket[] clients = new DatagramSocket[4];
        try {
            for (int i = 0; i < clients.length; i++) {
                clients[i] = client();
                quic.send(clients[i], initial);
                if (i < 3) {
                    receive(clients[i]); // routed and answered
                }
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.drops("session_limit") == 1);
            assertThat(quic.sessions()).isEqualTo(3);
            assertThat(other.received()).hasSize(3);
            assertThat(proxy.outcome("quic", "refused_limit")).isEqualTo(1);
        } finally {
            for (DatagramSocket c : clients) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    @Test
    void aClientThatFloodsBeforeItsHelloIsCompleteLosesItsSession() throws Exception {
        byte[] hello = ClientHellos.handshakeMessage(ClientHellos.large("api.example.com", 1900));
        byte[] first = seal(QuicVersion.V1, CID, new byte[0], 0, crypto(hello, 0, 500), 1200);
        byte[] filler = new byte[1400];
        filler[0] = 0x41;
        try (DatagramSocket client = client()) {
            quic.send(client, first);
            for (int i = 0; i < QuicSession.MAX_PENDING_DATAGRAMS + 5; i++) {
                quic.send(client, filler);
                Thread.sleep(1); // stay within the kernel's receive buffer
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.drops("pending_full") >= 1);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> quic.sessions() == 0);
        assertThat(proxy.outcome("quic", "bad_hello")).isEqualTo(1);
        assertThat(api.received()).isEmpty();
    }

    @Test
    void aHelloLargerThanMaxClientHelloBytesIsRefusedAtOnce() throws Exception {
        byte[] big = concat(new byte[] {0x06}, InitialPackets.varint(9000), InitialPackets.varint(10), new byte[10]);
        try (DatagramSocket client = client()) {
            byte[] initial = seal(QuicVersion.V1, CID, new byte[0], 0, big, 1200);
            quic.send(client, initial);
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.drops("bad_hello") == 1);
            quic.send(client, initial); // its retransmission is not decrypted again
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.drops("refused_retransmit") == 1);
        }
        assertThat(quic.drops("bad_hello")).isEqualTo(1);
        assertThat(proxy.outcome("quic", "bad_hello")).isEqualTo(1);
        assertThat(quic.sessions()).isZero();
        assertThat(api.received()).isEmpty();
    }

    @Test
    void aBackendThatAnswersWithIcmpUnreachableEndsItsSessionBeforeExpiry() throws Exception {
        int closedPort = ProxyHarness.freePort();
        try (ProxyHarness icmp = ProxyHarness.start("""
                listeners:
                  - name: quic
                    address: 127.0.0.1:${port:quic}
                    protocol: quic
                routes:
                  - hostnames: [api.example.com]
                    backend: 127.0.0.1:%d
                timeouts:
                  udpSession: 60s
                """.formatted(closedPort), List.of(new QuicListenerFactory()));
                DatagramSocket client = client()) {
            byte[] hello = ClientHellos.handshakeMessage(ClientHellos.tls13("api.example.com"));
            byte[] initial = seal(QuicVersion.V1, CID, new byte[0], 0, crypto(hello, 0, hello.length), 1200);
            InetSocketAddress target = new InetSocketAddress(InetAddress.getLoopbackAddress(), icmp.port("quic"));
            client.send(new DatagramPacket(initial, initial.length, target));
            await().atMost(Duration.ofSeconds(2)).until(() -> icmp.outcome("quic", "routed") == 1);
            client.send(new DatagramPacket(new byte[] {0x41, 1}, 2, target)); // the kernel reports the ICMP on I/O
            Gauge g = icmp.registry().find("sniproxy.udp.sessions.active").tag("listener", "quic").gauge();
            await().atMost(Duration.ofSeconds(20)).until(() -> g.value() == 0);
        }
    }

    @Test
    void pendingSessionsShareOneByteBudgetAndGiveItBackOnEveryPath() throws Exception {
        QuicListenerFactory factory = new QuicListenerFactory(new SessionBudget(3000));
        try (QuicProxyFixture fixture = QuicProxyFixture.start(api.address(), """
                timeouts:
                  clientHello: 5s
                """, factory, UnaryOperator.identity());
                DatagramSocket a = client();
                DatagramSocket b = client();
                DatagramSocket c = client()) {
            byte[] hello = ClientHellos.handshakeMessage(ClientHellos.large("api.example.com", 1900));
            byte[] first = seal(QuicVersion.V1, CID, new byte[0], 0, crypto(hello, 0, 1000), 1200);
            byte[] rest = seal(QuicVersion.V1, CID, new byte[0], 1, crypto(hello, 1000, hello.length), 1200);
            ProxyHarness small = fixture.proxy();
            InetSocketAddress target = fixture.listener();
            a.send(new DatagramPacket(first, first.length, target));
            b.send(new DatagramPacket(first, first.length, target));
            await().atMost(Duration.ofSeconds(5)).until(() -> factory.pendingBytes() == 2400);
            c.send(new DatagramPacket(first, first.length, target)); // 3,600 > 3,000: refused
            Counter full = small.registry().find("sniproxy.udp.drops").tags("listener", "quic", "reason", "pending_full")
                    .counter();
            await().atMost(Duration.ofSeconds(5)).until(() -> full.count() == 1);
            b.send(new DatagramPacket(rest, rest.length, target)); // b's completion does not fit either: b ends
            await().atMost(Duration.ofSeconds(5)).until(() -> full.count() == 3 && factory.pendingBytes() == 1200);
            a.send(new DatagramPacket(rest, rest.length, target)); // fits now: a is routed, its bytes given back
            await().atMost(Duration.ofSeconds(5)).until(() -> api.received().size() == 2);
            assertThat(factory.pendingBytes()).isZero();
            assertThat(small.outcome("quic", "routed")).isEqualTo(1);
            assertThat(small.outcome("quic", "bad_hello")).isEqualTo(2);
        }
    }

    @Test
    void anIpv6ListenerRoutesAndRepliesFromItsOwnAddress() throws Exception {
        try (ProxyHarness v6 = ProxyHarness.start("""
                listeners:
                  - name: quic
                    address: "[::1]:${port:quic}"
                    protocol: quic
                routes:
                  - hostnames: [api.example.com]
                    backend: %s
                """.formatted(api.address()), List.of(new QuicListenerFactory()));
                DatagramSocket client = new DatagramSocket(new InetSocketAddress("::1", 0))) {
            client.setSoTimeout(5000);
            byte[] hello = ClientHellos.handshakeMessage(ClientHellos.tls13("api.example.com"));
            byte[] initial = seal(QuicVersion.V2, CID, new byte[0], 0, crypto(hello, 0, hello.length), 1200);
            InetSocketAddress target = new InetSocketAddress("::1", v6.port("quic"));
            client.send(new DatagramPacket(initial, initial.length, target));
            DatagramPacket reply = receive(client);
            assertThat(reply.getSocketAddress()).isEqualTo(target);
            assertThat(api.received()).extracting(UdpRecorder.Received::payload).containsExactly(initial);
        }
    }
}
