package io.sniproxy.proxy.runtime;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The channel classes matching Vert.x's event loop group: native epoll when Vert.x runs on it
 * (Linux, {@code quarkus.vertx.prefer-native-transport}), NIO otherwise.
 */
public record Transport(EventLoopGroup group, Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel, Class<? extends DatagramChannel> datagramChannel,
        boolean epoll) {

    public static Transport of(EventLoopGroup group) {
        if (isEpoll(group)) {
            return new Transport(group, EpollServerSocketChannel.class, EpollSocketChannel.class,
                    EpollDatagramChannel.class, true);
        }
        return new Transport(group, NioServerSocketChannel.class, NioSocketChannel.class,
                NioDatagramChannel.class, false);
    }

    private static boolean isEpoll(EventLoopGroup group) {
        try {
            return Epoll.isAvailable() && group instanceof EpollEventLoopGroup;
        } catch (Throwable e) {
            return false; // native library absent (e.g. another OS): NIO
        }
    }

    public int eventLoops() {
        int n = 0;
        for (var ignored : group) {
            n++;
        }
        return Math.max(n, 1);
    }
}
