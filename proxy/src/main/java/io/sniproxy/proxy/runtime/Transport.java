package io.sniproxy.proxy.runtime;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
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
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;

/**
 * The channel classes matching Vert.x's event loop group: native epoll when Vert.x runs on it
 * (Linux, {@code quarkus.vertx.prefer-native-transport}), NIO otherwise. Backend sockets (a TCP
 * connection's, a QUIC session's) come from factories, the seam where a test makes the OS refuse
 * a socket as EMFILE would ({@link #withBackendSockets}).
 */
public record Transport(EventLoopGroup group, Class<? extends ServerChannel> serverChannel,
        Class<? extends DatagramChannel> datagramChannel, ChannelFactory<? extends SocketChannel> backendSockets,
        ChannelFactory<? extends DatagramChannel> backendDatagrams, boolean epoll) {

    public static Transport of(EventLoopGroup group) {
        if (isEpoll(group)) {
            return new Transport(group, EpollServerSocketChannel.class, EpollDatagramChannel.class,
                    new ReflectiveChannelFactory<>(EpollSocketChannel.class),
                    new ReflectiveChannelFactory<>(EpollDatagramChannel.class), true);
        }
        return new Transport(group, NioServerSocketChannel.class, NioDatagramChannel.class,
                new ReflectiveChannelFactory<>(NioSocketChannel.class),
                new ReflectiveChannelFactory<>(NioDatagramChannel.class), false);
    }

    /** The same transport with other backend socket factories. */
    public Transport withBackendSockets(ChannelFactory<? extends SocketChannel> tcp,
            ChannelFactory<? extends DatagramChannel> udp) {
        return new Transport(group, serverChannel, datagramChannel, tcp, udp, epoll);
    }

    private static boolean isEpoll(EventLoopGroup group) {
        try {
            return Epoll.isAvailable() && group instanceof EpollEventLoopGroup;
        } catch (Throwable e) {
            return false; // native library absent (e.g. another OS): NIO
        }
    }

    public int eventLoops() {
        return Math.max(loops().size(), 1);
    }

    /** The group's event loops, in its order. */
    public List<EventLoop> loops() {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor e : group) {
            loops.add((EventLoop) e);
        }
        return loops;
    }
}
