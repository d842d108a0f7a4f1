package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.InitialPackets.crypto;
import static io.sniproxy.proxy.quic.InitialPackets.seal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ClientHellos;
import io.sniproxy.proxy.testing.ProxyHarness;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** limits.perClient applies to QUIC sessions: one client address, one session; another address is unaffected. */
class QuicPerClientLimitsTest {

    @Test
    void aSecondSessionFromTheSameAddressIsRefusedWhileAnotherAddressIsRouted() throws Exception {
        try (UdpRecorder api = new UdpRecorder(true)) {
            ProxyHarness proxy = ProxyHarness.start("""
                    listeners:
                      - name: quic
                        address: 127.0.0.1:${port:quic}
                        protocol: quic
                    routes:
                      - hostnames: [api.example.com]
                        backend: %s
                    limits:
                      perClient: {maxConnections: 1}
                    """.formatted(api.address()), List.of(new QuicListenerFactory()));
            try (proxy;
                    DatagramSocket first = from("127.0.0.2");
                    DatagramSocket second = from("127.0.0.2");
                    DatagramSocket other = from("127.0.0.3")) {
                InetSocketAddress listener = new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port("quic"));
                send(first, initial("a1a2a3a4a5a6a7a8"), listener);
                await().atMost(Duration.ofSeconds(5)).until(() -> api.received().size() == 1);
                send(second, initial("b1b2b3b4b5b6b7b8"), listener);
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.outcome("quic", "refused_client_limit") == 1);
                assertThat(proxy.udpDrops("quic", "client_limit")).isEqualTo(1);
                // Its retransmissions repeat the same attempt: dropped, not a second refusal each.
                send(second, initial("b1b2b3b4b5b6b7b8"), listener);
                send(second, initial("b1b2b3b4b5b6b7b8"), listener);
                await().atMost(Duration.ofSeconds(5)).until(() -> proxy.udpDrops("quic", "refused_retransmit") == 2);
                assertThat(proxy.outcome("quic", "refused_client_limit")).isEqualTo(1);
                assertThat(proxy.udpDrops("quic", "client_limit")).isEqualTo(1);
                send(other, initial("c1c2c3c4c5c6c7c8"), listener);
                await().atMost(Duration.ofSeconds(5)).until(() -> api.received().size() == 2);
                assertThat(api.received()).extracting(UdpRecorder.Received::payload).hasSize(2);
                assertThat(proxy.outcome("quic", "routed")).isEqualTo(2);
            }
        }
    }

    static byte[] initial(String dcid) {
        byte[] hello = ClientHellos.handshakeMessage(ClientHellos.tls13("api.example.com"));
        return seal(QuicVersion.V1, HexFormat.of().parseHex(dcid), new byte[0], 0, crypto(hello, 0, hello.length), 1200);
    }

    static DatagramSocket from(String address) throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(address), 0));
        s.setSoTimeout(5000);
        return s;
    }

    static void send(DatagramSocket s, byte[] payload, InetSocketAddress to) throws Exception {
        s.send(new DatagramPacket(payload, payload.length, to));
    }
}
