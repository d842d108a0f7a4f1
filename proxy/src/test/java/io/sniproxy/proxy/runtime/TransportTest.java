package io.sniproxy.proxy.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFactory;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class TransportTest {

    /** The class Transport loads ahead is the one Netty hands back when the OS refuses a socket. */
    @Test
    void theClassLoadedAheadIsTheOneARefusedSocketComesBackAs() throws Exception {
        NioEventLoopGroup group = new NioEventLoopGroup(1);
        try {
            Transport.of(group);
            ChannelFactory<Channel> refused = () -> {
                throw new IllegalStateException(new IOException("Too many open files"));
            };
            ChannelFuture f = new Bootstrap().group(group).channelFactory(refused)
                    .handler(new io.netty.channel.ChannelInboundHandlerAdapter()).register().await();
            assertThat(f.isSuccess()).isFalse();
            assertThat(f.channel().getClass().getName()).isEqualTo(Transport.FAILED_CHANNEL);
        } finally {
            group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).await();
        }
    }
}
