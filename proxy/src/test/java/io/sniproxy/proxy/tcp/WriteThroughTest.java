package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A read sent straight to the other side's socket: all of it when the socket takes it, and when it
 * does not, the rest stays in the buffer for the channel, and nothing written later overtakes it.
 */
class WriteThroughTest {

    private EpollEventLoopGroup group;
    private ServerSocket server;
    private Socket peer;
    private EpollSocketChannel channel;

    @BeforeEach
    void connect() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll is this machine's transport; NIO keeps Netty's way");
        group = new EpollEventLoopGroup(1);
        server = new ServerSocket();
        server.setReceiveBufferSize(4096); // inherited by the accepted socket: a small window fills fast
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
        channel = (EpollSocketChannel) new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .option(ChannelOption.SO_SNDBUF, 4096).option(ChannelOption.AUTO_READ, false)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(server.getLocalSocketAddress()).sync().channel();
        peer = server.accept();
    }

    @AfterEach
    void close() throws Exception {
        if (channel != null) {
            channel.close().sync();
        }
        if (peer != null) {
            peer.close();
        }
        if (server != null) {
            server.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aReadTheSocketTakesIsSentWholeAndReleased() throws Exception {
        byte[] request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(20).getBytes();
        ByteBuf in = direct(request);
        assertThat(onLoop(() -> WriteThrough.send(in, channel))).isTrue();
        assertThat(in.refCnt()).as("released once sent").isZero();
        assertThat(peer.getInputStream().readNBytes(request.length)).isEqualTo(request);
    }

    @Test
    void whatTheSocketDoesNotTakeIsLeftForTheChannelAndNothingOvertakesIt() throws Exception {
        byte[] burst = new byte[4 << 20];
        new Random(7).nextBytes(burst);
        byte[] next = "and then this".getBytes();
        ByteBuf first = direct(burst);
        ByteBuf second = direct(next);
        int[] sentFirst = new int[1];
        boolean[] secondSentStraight = new boolean[1];
        assertThat(onLoop(() -> {
            boolean whole = WriteThrough.send(first, channel);
            sentFirst[0] = first.readerIndex();
            channel.writeAndFlush(first, channel.voidPromise()); // the rest, as ProxyConnection.forward does
            secondSentStraight[0] = WriteThrough.send(second, channel);
            if (!secondSentStraight[0]) {
                channel.writeAndFlush(second, channel.voidPromise());
            }
            return whole;
        })).as("4 MiB into a 4 KiB window").isFalse();
        assertThat(sentFirst[0]).as("bytes the socket took").isPositive().isLessThan(burst.length);
        assertThat(secondSentStraight[0]).as("sent straight past the queued rest").isFalse();

        ByteArrayOutputStream received = new ByteArrayOutputStream();
        InputStream from = peer.getInputStream();
        peer.setSoTimeout(10_000);
        byte[] chunk = new byte[64 * 1024];
        while (received.size() < burst.length + next.length) {
            int n = from.read(chunk);
            assertThat(n).as("the stream ended early").isPositive();
            received.write(chunk, 0, n);
        }
        byte[] expected = Arrays.copyOf(burst, burst.length + next.length);
        System.arraycopy(next, 0, expected, burst.length, next.length);
        assertThat(Arrays.equals(received.toByteArray(), expected)).as("every byte, in order").isTrue();
    }

    @Test
    void aChannelThatIsNotAnEpollSocketOrABufferWithoutAnAddressIsLeftToTheChannel() throws Exception {
        ByteBuf heap = Unpooled.wrappedBuffer("heap bytes".getBytes());
        assertThat(onLoop(() -> WriteThrough.send(heap, channel))).isFalse();
        assertThat(heap.readerIndex()).isZero();
        heap.release();

        EmbeddedChannel embedded = new EmbeddedChannel();
        ByteBuf in = direct("to an embedded channel".getBytes());
        assertThat(WriteThrough.send(in, embedded)).isFalse();
        assertThat(in.readerIndex()).isZero();
        in.release();
        embedded.finishAndReleaseAll();
    }

    @Test
    void aSendFromAnotherThreadThanTheChannelsLoopIsLeftToTheChannel() throws Exception {
        ByteBuf in = direct("from the test's own thread".getBytes());
        assertThat(WriteThrough.send(in, channel)).isFalse();
        assertThat(in.readerIndex()).as("nothing sent").isZero();
        assertThat(in.refCnt()).as("not released").isOne();
        in.release();
    }

    private static ByteBuf direct(byte[] bytes) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length);
        b.writeBytes(bytes);
        return b;
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        Channel c = channel;
        return c.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
    }
}
