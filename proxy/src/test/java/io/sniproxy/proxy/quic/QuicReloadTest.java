package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.QuicProxyFixture.client;
import static io.sniproxy.proxy.quic.QuicProxyFixture.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sniproxy.proxy.testing.ProxyHarness;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A reload sends new QUIC clients by the new routes; open sessions keep theirs until they expire. */
class QuicReloadTest {

    static final String WITH_QUIC = """
            listeners:
              - name: tls
                address: 127.0.0.1:${port:tls}
                protocol: tls
              - name: quic
                address: 127.0.0.1:${port:quic}
                protocol: quic
            routes:
              - hostnames: [api.example.com]
                backend: %s
            timeouts:
              udpSession: 1500ms
            """;
    static final String WITHOUT_QUIC = """
            listeners:
              - name: tls
                address: 127.0.0.1:${port:tls}
                protocol: tls
            routes:
              - hostnames: [api.example.com]
                backend: %s
            timeouts:
              udpSession: 1500ms
            """;

    @Test
    void newClientsFollowTheNewRoutesAndARemovedListenerServesItsSessionsUntilTheyExpire() throws Exception {
        byte[] initial = QuicProxyFixture.initial(new byte[] {7, 7, 7, 7});
        try (UdpRecorder blue = new UdpRecorder(true);
                UdpRecorder green = new UdpRecorder(true);
                ProxyHarness proxy = ProxyHarness.start(WITH_QUIC.formatted(blue.address()),
                        List.of(new QuicListenerFactory()));
                DatagramSocket first = client();
                DatagramSocket second = client();
                DatagramSocket third = client()) {
            InetSocketAddress listener = new InetSocketAddress(InetAddress.getLoopbackAddress(), proxy.port("quic"));
            exchange(first, listener, initial);
            assertThat(blue.received()).hasSize(1);

            proxy.reload(WITH_QUIC.formatted(green.address()));
            exchange(second, listener, initial);
            assertThat(green.received()).hasSize(1);
            exchange(first, listener, new byte[] {0x41, 1}); // the open session keeps its backend
            assertThat(blue.received()).hasSize(2);

            proxy.reload(WITHOUT_QUIC.formatted(green.address()));
            exchange(first, listener, new byte[] {0x41, 2}); // still served after its listener was removed
            assertThat(blue.received()).hasSize(3);
            // Resent like a real client would: one of the removed listener's per-loop sockets that had
            // no session may close with this datagram still in its queue.
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(250)).until(() -> {
                third.send(new DatagramPacket(initial, initial.length, listener));
                return proxy.udpDrops("quic", "draining") >= 1;
            });

            // once the last session expired, the socket is closed and its port free again
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
                try (DatagramSocket rebound = new DatagramSocket(listener)) {
                    return true;
                } catch (java.net.BindException e) {
                    return false;
                }
            });
            assertThat(green.received()).hasSize(1);
        }
    }

}
