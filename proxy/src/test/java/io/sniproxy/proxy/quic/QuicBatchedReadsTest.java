package io.sniproxy.proxy.quic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bursts through one session, both ways: the listener and the backend socket read many datagrams
 * per system call into one shared buffer ({@link DatagramReads}), and every datagram still arrives
 * whole, unchanged and in order, of every size up to {@link DatagramReads#MAX_PAYLOAD}; a larger one
 * arrives cut to that size, as documented.
 */
class QuicBatchedReadsTest {

    static final byte[] CID = HexFormat.of().parseHex("b1b2b3b4b5b6b7b8");
    static final int BURST = 40;

    @Test
    void burstsOfDatagramsOfEverySizeArriveWholeAndInOrderBothWays() throws Exception {
        try (UdpRecorder api = new UdpRecorder(true);
                QuicProxyFixture quic = QuicProxyFixture.start(api.address(), "");
                DatagramSocket client = QuicProxyFixture.client()) {
            client.setReceiveBufferSize(1 << 20);
            InetSocketAddress listener = quic.listener();
            byte[] initial = QuicProxyFixture.initial(CID);
            client.send(new DatagramPacket(initial, initial.length, listener));
            await().atMost(Duration.ofSeconds(10)).until(() -> api.received().size() == 1);
            receive(client);

            Random random = new Random(7);
            List<byte[]> sent = new ArrayList<>(List.of(initial));
            List<byte[]> echoed = new ArrayList<>();
            // The backend answers "echo:" + payload: payloads leave room for the 5 bytes, so that the
            // answers fit the limit too.
            int largest = DatagramReads.MAX_PAYLOAD - 5;
            for (int burst = 0; burst < 5; burst++) {
                List<byte[]> these = new ArrayList<>();
                for (int i = 0; i < BURST; i++) {
                    int size = burst == 0 && i == 0 ? largest : 20 + random.nextInt(largest - 20);
                    byte[] d = new byte[size];
                    random.nextBytes(d);
                    d[0] = 0x40; // a short-header packet
                    System.arraycopy(CID, 0, d, 1, CID.length);
                    these.add(d);
                }
                for (byte[] d : these) { // back to back: they queue up on the listener's socket
                    client.send(new DatagramPacket(d, d.length, listener));
                }
                sent.addAll(these);
                await().atMost(Duration.ofSeconds(10)).until(() -> api.received().size() == sent.size());
                for (int i = 0; i < BURST; i++) {
                    echoed.add(receive(client));
                }
            }

            assertThat(api.received()).extracting(UdpRecorder.Received::payload).containsExactlyElementsOf(sent);
            List<byte[]> expected = sent.subList(1, sent.size()).stream()
                    .map(d -> InitialPackets.concat("echo:".getBytes(), d)).toList();
            assertThat(echoed).containsExactlyElementsOf(expected);

            byte[] tooLarge = new byte[DatagramReads.MAX_PAYLOAD + 500];
            random.nextBytes(tooLarge);
            tooLarge[0] = 0x40;
            System.arraycopy(CID, 0, tooLarge, 1, CID.length);
            client.send(new DatagramPacket(tooLarge, tooLarge.length, listener));
            await().atMost(Duration.ofSeconds(10)).until(() -> api.received().size() == sent.size() + 1);
            assertThat(api.received().getLast().payload()).isEqualTo(Arrays.copyOf(tooLarge, DatagramReads.MAX_PAYLOAD));
        }
    }

    private static byte[] receive(DatagramSocket client) throws Exception {
        DatagramPacket p = QuicProxyFixture.receive(client);
        return Arrays.copyOf(p.getData(), p.getLength());
    }
}
