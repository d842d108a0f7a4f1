package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.InitialPackets.crypto;
import static io.sniproxy.proxy.quic.InitialPackets.seal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RefusingSockets;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The OS refuses a QUIC session its backend UDP socket (ENOBUFS at {@code socket(2)}, through the
 * transport seam): that session ends as {@code fd_limit}, its slot and buffered datagrams are given
 * back, the listener goes on, and sessions route again once sockets can be made.
 */
class QuicBackendSocketRefusedTest {

    static final byte[] CID = HexFormat.of().parseHex("b1b2b3b4b5b6b7b8");

    @Test
    void aRefusedBackendSocketEndsThatSessionAsFdLimitAndTheListenerRecovers() throws Exception {
        RefusingSockets sockets = new RefusingSockets();
        byte[] hello = ClientHellos.handshakeMessage(ClientHellos.tls13("api.example.com"));
        byte[] initial = seal(QuicVersion.V1, CID, new byte[0], 0, crypto(hello, 0, hello.length), 1200);
        try (UdpRecorder api = new UdpRecorder(true);
                ProxyHarness proxy = ProxyHarness.start("""
                        listeners:
                          - name: quic
                            address: 127.0.0.1:${port:quic}
                            protocol: quic
                        routes:
                          - hostnames: [api.example.com]
                            backend: %s
                        limits:
                          maxUdpSessions: 5
                        """.formatted(api.address()), sockets.transport(), List.of(new QuicListenerFactory()))) {
            InetSocketAddress listener = new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port("quic"));
            // More refused sessions than there are slots: a slot that was not given back would show.
            for (int i = 0; i < 8; i++) {
                try (DatagramSocket client = client()) {
                    client.send(new DatagramPacket(initial, initial.length, listener));
                    int expected = i + 1;
                    await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("quic", "fd_limit") == expected);
                }
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.udpSessions("quic") == 0);
            assertThat(proxy.server().openSessions()).isZero();
            assertThat(proxy.udpDrops("quic", "backend_failed")).isEqualTo(8);
            assertThat(proxy.outcome("quic", "refused_limit")).isZero();
            assertThat(api.received()).isEmpty();

            sockets.refusing(false);
            try (DatagramSocket client = client()) {
                client.send(new DatagramPacket(initial, initial.length, listener));
                byte[] buf = new byte[2048];
                DatagramPacket reply = new DatagramPacket(buf, buf.length);
                client.receive(reply);
                assertThat(new String(buf, 0, 5)).isEqualTo("echo:");
            }
            assertThat(proxy.outcome("quic", "routed")).isEqualTo(1);
            assertThat(proxy.outcome("quic", "fd_limit")).isEqualTo(8);
        }
    }

    private static DatagramSocket client() throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        s.setSoTimeout(5000);
        return s;
    }
}
