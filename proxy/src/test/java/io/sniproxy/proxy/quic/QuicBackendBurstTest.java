package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.QuicProxyFixture.client;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.socket.DatagramChannel;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A backend's burst that arrives while the session's event loop is busy elsewhere waits in the
 * backend socket's kernel buffer ({@link DatagramReads#RECEIVE_BUFFER}) and reaches the client
 * whole and in order once the loop reads again. With the kernel's default buffer (~208 KiB) the
 * kernel dropped most of this burst, silently.
 */
class QuicBackendBurstTest {

    /** 360,000 bytes of payload: beyond the kernel's default receive buffer, well within 1 MiB. */
    static final int BURST = 300;
    static final int SIZE = 1200;

    @Test
    void aBackendBurstWhileTheLoopIsBusyReachesTheClientWhole() throws Exception {
        DatagramChannel[] backend = new DatagramChannel[1];
        byte[] initial = QuicProxyFixture.initial("e1e2e3e4e5e6e7e8");
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                QuicProxyFixture quic = QuicProxyFixture.start("127.0.0.1:" + server.getLocalPort(), "",
                        new QuicListenerFactory(), t -> t.withBackendSockets(t.backendSockets(), QuicProxyFixture.remembering(t, backend)));
                DatagramSocket c = client()) {
            server.setSoTimeout(5000);
            c.setReceiveBufferSize(4 << 20);
            quic.send(c, initial);
            DatagramPacket first = QuicProxyFixture.receive(server); // routed: the path's backend socket
            InetSocketAddress path = (InetSocketAddress) first.getSocketAddress();

            CountDownLatch busy = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            backend[0].eventLoop().execute(() -> { // the loop is busy: nothing reads the backend socket
                busy.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(busy.await(5, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < BURST; i++) {
                byte[] d = new byte[SIZE];
                d[0] = 0x40; // a short-header packet
                ByteBuffer.wrap(d, 1, 4).putInt(i);
                server.send(new DatagramPacket(d, d.length, path));
            }
            release.countDown();

            List<Integer> arrived = new ArrayList<>();
            try {
                while (arrived.size() < BURST) {
                    DatagramPacket p = QuicProxyFixture.receive(c);
                    assertThat(p.getLength()).isEqualTo(SIZE);
                    arrived.add(ByteBuffer.wrap(p.getData(), 1, 4).getInt());
                }
            } catch (SocketTimeoutException lost) {
                // what never came is in the assertion below
            }
            assertThat(arrived).as("the burst's datagrams, in the order the client got them")
                    .containsExactlyElementsOf(IntStream.range(0, BURST).boxed().toList());
            await().atMost(Duration.ofSeconds(5)).until(() -> quic.datagrams("downstream") == BURST);
            assertThat(quic.drops("socket_full")).isZero();
        }
    }
}
