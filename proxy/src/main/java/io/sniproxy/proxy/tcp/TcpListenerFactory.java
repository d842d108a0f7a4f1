package io.sniproxy.proxy.tcp;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.socket.SocketChannelConfig;
import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.sniproxy.proxy.metrics.Outcome;
import io.sniproxy.proxy.metrics.ProxyMetrics.ListenerMeters;
import io.sniproxy.proxy.runtime.ListenerFactory;
import io.sniproxy.proxy.runtime.ServerContext;
import io.sniproxy.proxy.runtime.SocketGroupBinder;
import io.sniproxy.proxy.runtime.Snapshot;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * TCP listeners (tls, http, auto) as Netty server channels on Vert.x's own event loops. With epoll,
 * one SO_REUSEPORT acceptor per event loop lets the kernel spread accepts, and each acceptor keeps
 * the connections it accepts on its own loop: a new connection is registered, checked against the
 * limit and started (or refused and closed) within the accept itself, with no hand-over to another
 * loop's task queue. (Handed over, a burst of connections beyond the limit waited there holding
 * their fds, and took the ones the admitted connections needed for their backends: FdLimitIT saw
 * {@code fd_limit} under {@code nofile} 320 on a loaded machine.) Closing the server channels stops
 * accepting without touching connections already accepted (drain, reload).
 */
public final class TcpListenerFactory implements ListenerFactory {

    private static final Logger LOG = Logger.getLogger(TcpListenerFactory.class);

    @Override
    public boolean supports(Protocol protocol) {
        return protocol.isTcp();
    }

    @Override
    public Future<RunningListener> bind(Listener listener, ServerContext server) {
        ListenerMeters meters = server.metrics().listener(listener.name());
        int acceptors = server.transport().epoll() ? server.transport().eventLoops() : 1;
        AcceptErrors errors = new AcceptErrors(listener.name(), meters);
        if (acceptors > 1) {
            List<EventLoop> loops = server.transport().loops();
            return SocketGroupBinder.bind(i -> listenerSocket(server, errors, new Acceptor(listener, meters, server,
                    loops.get(i))).group(loops.get(i)).option(EpollChannelOption.SO_REUSEPORT, true),
                    listener, acceptors, "").map(bound -> new Running(listener, bound));
        }
        Bootstrap bootstrap = listenerSocket(server, errors, new Acceptor(listener, meters, server,
                server.transport().group())).group(server.transport().group());
        return SocketGroupBinder.bind(bootstrap, listener, acceptors, "").map(bound -> new Running(listener, bound));
    }

    /**
     * A listening socket whose pipeline is the accept errors' handler and the {@link Acceptor}: a
     * plain Bootstrap binds it (ServerBootstrap would add its own acceptor, which registers each
     * connection before anything of ours can touch it, and a ChannelInitializer per connection).
     */
    private static Bootstrap listenerSocket(ServerContext server, AcceptErrors errors, Acceptor acceptor) {
        return new Bootstrap()
                .channelFactory(new ReflectiveChannelFactory<>(server.transport().serverChannel()))
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(errors, acceptor);
                    }
                });
    }

    /**
     * Each accepted socket: configured, given read interest, registered (epoll: on the acceptor's own
     * loop, within the accept) and, once registered and before it is active, admitted or refused.
     * No TCP_NODELAY option: Netty already enables it on every socket channel it creates (epoll and
     * NIO, on Linux); setting it again cost a setsockopt per connection.
     */
    @ChannelHandler.Sharable
    private static final class Acceptor extends ChannelInboundHandlerAdapter implements ChannelFutureListener {
        private final Listener bound;
        private final ListenerMeters meters;
        private final ServerContext server;
        private final EventLoopGroup children;

        Acceptor(Listener bound, ListenerMeters meters, ServerContext server, EventLoopGroup children) {
            this.bound = bound;
            this.meters = meters;
            this.server = server;
            this.children = children;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            SocketChannelConfig config = (SocketChannelConfig) child.config();
            config.setAllowHalfClosure(true); // a client's FIN is passed on: ProxyConnection
            config.setWriteBufferWaterMark(ProxyConnection.WATER_MARK);
            config.setRecvByteBufAllocator(ProxyConnection.READS);
            EventLoop loop = children.next();
            // The listener first: registering on the acceptor's own loop completes within register(),
            // and the connection's handler must be there before the channel is made active.
            ChannelPromise registered = new DefaultChannelPromise(EarlyRead.arm(child), loop);
            registered.addListener(this);
            loop.register(registered);
        }

        /** Registered (listeners run before the channel is made active) or not: then closed, nothing taken. */
        @Override
        public void operationComplete(ChannelFuture registered) {
            if (registered.isSuccess()) {
                accept(registered.channel(), bound, meters, server);
            } else {
                registered.channel().unsafe().closeForcibly();
                LOG.debugf(registered.cause(), "listener %s: an accepted connection could not be registered", bound.name());
            }
        }
    }

    /** A registered connection, not yet active: admitted under limits.maxConnections (and started), or refused. */
    private static void accept(Channel ch, Listener bound, ListenerMeters meters, ServerContext server) {
        Snapshot snapshot = server.snapshot().get();
        Listener listener = snapshot.listener(bound);
        if (!server.registry().tryAcquire(snapshot.limits().maxConnections())) {
            refuseAtLimit(ch, listener);
            meters.outcome(Outcome.REFUSED_LIMIT);
            return;
        }
        meters.active().incrementAndGet();
        ProxyConnection connection = new ProxyConnection(server, listener, meters, snapshot, ch);
        server.registry().register(connection);
        ch.pipeline().addLast(connection);
    }

    /**
     * Beyond the cap no backend socket is attempted: a listener of a known protocol says so (a TLS
     * {@code internal_error} alert, an HTTP 503), an auto listener just closes. The few bytes fit
     * the socket's send buffer, so the close follows at once and the fd is free again.
     */
    private static void refuseAtLimit(Channel ch, Listener listener) {
        switch (listener.protocol()) {
            case TLS -> ch.writeAndFlush(Refusals.tlsInternalError(ch.alloc())).addListener(ChannelFutureListener.CLOSE);
            case HTTP -> ch.writeAndFlush(Refusals.http(ch.alloc(), 503, "Service Unavailable",
                    "Proxy at its connection limit.")).addListener(ChannelFutureListener.CLOSE);
            default -> ch.close();
        }
    }

    private record Running(Listener listener, List<Channel> channels) implements RunningListener {
        @Override
        public Future<Void> stopAccepting() {
            Promise<Void> p = Promise.promise();
            java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(channels.size());
            if (channels.isEmpty()) {
                p.complete();
            }
            for (Channel c : channels) {
                c.close().addListener(x -> {
                    if (left.decrementAndGet() == 0) {
                        LOG.debugf("listener %s stopped accepting", listener.name());
                        p.tryComplete();
                    }
                });
            }
            return p.future();
        }
    }
}
