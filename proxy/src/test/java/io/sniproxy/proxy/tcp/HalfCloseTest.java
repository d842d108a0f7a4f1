package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Passing a FIN on to a socket whose peer is gone: shutdown(2) then fails with ENOTCONN, which
 * Netty's epoll socket throws as an unchecked {@code NotYetConnectedException}. Seen in CI as a
 * WARN with a stack trace from the FIN listener of a connection whose client had reset.
 */
class HalfCloseTest {

    @Test
    void aSocketThatIsNotConnectedAnyMoreIsShutWithoutAnException() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll is this machine's transport; NIO keeps Netty's way");
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        try {
            // Registered, not connected: the state a reset leaves the socket in (TCP_CLOSE).
            EpollSocketChannel channel = new EpollSocketChannel();
            channel.pipeline().addLast(new ChannelInboundHandlerAdapter());
            group.register(channel).syncUninterruptibly();
            CompletableFuture<Throwable> thrown = new CompletableFuture<>();
            channel.eventLoop().execute(() -> {
                try {
                    HalfClose.shutdownOutput(channel);
                    thrown.complete(null);
                } catch (Throwable t) {
                    thrown.complete(t);
                }
            });
            assertThat(thrown.get(5, TimeUnit.SECONDS)).as("what shutdownOutput threw").isNull();
            channel.close().syncUninterruptibly();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aPeerThatIsStillThereReadsTheEndOfTheStreamAndTheChannelKnowsItsOutputIsShut() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll is this machine's transport; NIO keeps Netty's way");
        EpollEventLoopGroup group = new EpollEventLoopGroup(1);
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            EpollSocketChannel channel = (EpollSocketChannel) new Bootstrap().group(group)
                    .channel(EpollSocketChannel.class).option(ChannelOption.AUTO_READ, false)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(new InetSocketAddress(server.getInetAddress(), server.getLocalPort())).sync().channel();
            try (Socket peer = server.accept()) {
                peer.setSoTimeout(5000);
                group.submit(() -> HalfClose.shutdownOutput(channel)).get(5, TimeUnit.SECONDS);
                assertThat(peer.getInputStream().read()).as("the peer reads the end of the stream").isEqualTo(-1);
                assertThat(channel.isOutputShutdown()).isTrue();
                assertThat(channel.isActive()).as("the other direction stays open").isTrue();
            } finally {
                channel.close().syncUninterruptibly();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
