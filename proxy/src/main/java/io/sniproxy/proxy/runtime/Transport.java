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
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The channel classes matching Vert.x's event loop group: native epoll when Vert.x runs on it
 * (Linux, {@code quarkus.vertx.prefer-native-transport}), NIO otherwise. Backend sockets (a TCP
 * connection's, a QUIC session's) come from factories, the seam where a test makes the OS refuse
 * a socket as EMFILE would ({@link #withBackendSockets}).
 *
 * @param backendSockets  TCP sockets of any family (epoll: IPv6 dual-stack, Netty's default)
 * @param backendSockets4 TCP sockets for IPv4 backends: with epoll, {@code AF_INET} ones, which spare
 *                        the {@code setsockopt(IPV6_V6ONLY)} a dual-stack socket costs per connection
 */
public record Transport(EventLoopGroup group, Class<? extends ServerChannel> serverChannel,
        Class<? extends DatagramChannel> datagramChannel, ChannelFactory<? extends SocketChannel> backendSockets,
        ChannelFactory<? extends SocketChannel> backendSockets4,
        ChannelFactory<? extends DatagramChannel> backendDatagrams, boolean epoll) {

    /**
     * The class Netty answers a socket the OS refuses with (EMFILE): {@code AbstractBootstrap} loads it
     * only then. Started as {@code java -jar quarkus-run.jar}, the fast-jar's class loader reopens a jar
     * to load a class after start-up, and with no fd left its loader waited forever, on the event loop:
     * both loops parked in {@code JarFileReference.asyncLoadAcquiredJarFile}, every socket they held
     * kept (FdLimitIT, about one run in five). Loaded with the transport, before the first connection.
     */
    static final String FAILED_CHANNEL = "io.netty.bootstrap.FailedChannel";

    public static Transport of(EventLoopGroup group) {
        loadSocketFailureClasses();
        if (isEpoll(group)) {
            // Constructors, not reflection: one backend socket per connection.
            return new Transport(group, EpollServerSocketChannel.class, EpollDatagramChannel.class,
                    EpollSocketChannel::new, () -> new EpollSocketChannel(InternetProtocolFamily.IPv4),
                    new ReflectiveChannelFactory<>(EpollDatagramChannel.class), true);
        }
        return new Transport(group, NioServerSocketChannel.class, NioDatagramChannel.class,
                NioSocketChannel::new, NioSocketChannel::new,
                new ReflectiveChannelFactory<>(NioDatagramChannel.class), false);
    }

    /** The same transport with other backend socket factories (TCP: for every family). */
    public Transport withBackendSockets(ChannelFactory<? extends SocketChannel> tcp,
            ChannelFactory<? extends DatagramChannel> udp) {
        return new Transport(group, serverChannel, datagramChannel, tcp, tcp, udp, epoll);
    }

    /** The factory for a TCP socket to {@code target}. */
    public ChannelFactory<? extends SocketChannel> backendSockets(InetSocketAddress target) {
        return target.getAddress() instanceof Inet4Address ? backendSockets4 : backendSockets;
    }

    static void loadSocketFailureClasses() {
        try {
            Class.forName(FAILED_CHANNEL, true, ChannelFactory.class.getClassLoader());
        } catch (ClassNotFoundException renamed) {
            // A Netty without it: TransportTest fails the build; nothing to load here.
        }
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
