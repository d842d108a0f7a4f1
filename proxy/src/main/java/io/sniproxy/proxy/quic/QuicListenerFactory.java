package io.sniproxy.proxy.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.epoll.EpollChannelOption;
import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.sniproxy.proxy.metrics.ProxyMetrics.ListenerMeters;
import io.sniproxy.proxy.metrics.ProxyMetrics.UdpMeters;
import io.sniproxy.proxy.runtime.ListenerFactory;
import io.sniproxy.proxy.runtime.ServerContext;
import io.sniproxy.proxy.runtime.SocketGroupBinder;
import io.vertx.core.Future;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/**
 * QUIC listeners: UDP sockets on Vert.x's own event loops that route each client by the SNI inside
 * its Initial packets (see {@link QuicSession}). With epoll, one SO_REUSEPORT socket per event loop
 * spreads clients over the loops; the kernel keeps each client address on one socket.
 */
@ApplicationScoped
public class QuicListenerFactory implements ListenerFactory {

    private final SessionBudget budget;

    public QuicListenerFactory() {
        this(new SessionBudget());
    }

    /** With a smaller shared pending budget than {@link SessionBudget#MAX_PENDING_BYTES_TOTAL} (tests). */
    QuicListenerFactory(SessionBudget budget) {
        this.budget = budget;
    }

    @Override
    public boolean supports(Protocol protocol) {
        return protocol == Protocol.QUIC;
    }

    @Override
    public Future<RunningListener> bind(Listener listener, ServerContext server) {
        ListenerMeters meters = server.metrics().listener(listener.name());
        UdpMeters udp = server.metrics().udp(listener.name());
        for (DropReason r : DropReason.values()) {
            udp.drop(r.label(), 0); // every reason exported from the start, at 0
        }
        for (MigrationResult r : MigrationResult.values()) {
            udp.migration(r.label(), 0);
        }
        ConnectionIdIndex<QuicSession> index = new ConnectionIdIndex<>(); // one per listener: all its sockets
        int sockets = server.transport().epoll() ? server.transport().eventLoops() : 1;
        Bootstrap bootstrap = DatagramReads.configure(new Bootstrap(), server.transport().epoll())
                .group(server.transport().group())
                .channel(server.transport().datagramChannel())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new QuicDatagramHandler(listener, server, meters, udp, budget, index));
                    }
                });
        if (sockets > 1) {
            bootstrap.option(EpollChannelOption.SO_REUSEPORT, true);
        }
        return SocketGroupBinder.bind(bootstrap, listener, sockets, "/udp").map(bound -> new Running(listener, bound));
    }

    /** Session slots taken across every QUIC listener of this factory: one per backend socket (path). */
    public int openSessions() {
        return budget.open();
    }

    /** Bytes buffered by pending sessions across every QUIC listener of this factory. */
    public long pendingBytes() {
        return budget.pendingBytes();
    }

    private record Running(Listener listener, List<Channel> channels) implements RunningListener {
        @Override
        public Future<Void> stopAccepting() {
            for (Channel c : channels) {
                QuicDatagramHandler h = c.pipeline().get(QuicDatagramHandler.class);
                if (h == null) {
                    c.close();
                } else {
                    c.eventLoop().execute(h::stopAccepting);
                }
            }
            return Future.succeededFuture();
        }
    }
}
