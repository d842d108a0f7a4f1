package io.sniproxy.proxy.runtime;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.sniproxy.config.Listener;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Binds a listener's group of sockets (one per event loop with SO_REUSEPORT, else one), one after
 * another. All or nothing: if one bind fails, those already bound are closed and the failure names
 * the listener.
 */
public final class SocketGroupBinder {

    private SocketGroupBinder() {
    }

    /** @param transport appended to the address in the error, e.g. "/udp" ("" for TCP) */
    public static Future<List<Channel>> bind(AbstractBootstrap<?, ?> bootstrap, Listener listener, int sockets,
            String transport) {
        return bind(i -> bootstrap, listener, sockets, transport);
    }

    /** As {@link #bind(AbstractBootstrap, Listener, int, String)}, socket {@code i} from {@code bootstrapFor(i)}. */
    public static Future<List<Channel>> bind(IntFunction<? extends AbstractBootstrap<?, ?>> bootstrapFor,
            Listener listener, int sockets, String transport) {
        InetSocketAddress address = new InetSocketAddress(listener.address().host(), listener.port());
        Promise<List<Channel>> promise = Promise.promise();
        bindNext(bootstrapFor, address, 0, sockets, new ArrayList<>(), listener, transport, promise);
        return promise.future();
    }

    private static void bindNext(IntFunction<? extends AbstractBootstrap<?, ?>> bootstrapFor, InetSocketAddress address,
            int next, int sockets, List<Channel> bound, Listener listener, String transport,
            Promise<List<Channel>> promise) {
        if (next == sockets) {
            promise.complete(List.copyOf(bound));
            return;
        }
        ChannelFuture f = bootstrapFor.apply(next).bind(address);
        f.addListener(done -> {
            if (done.isSuccess()) {
                bound.add(f.channel());
                bindNext(bootstrapFor, address, next + 1, sockets, bound, listener, transport, promise);
            } else {
                bound.forEach(Channel::close);
                promise.fail(new IllegalStateException("cannot bind listener '" + listener.name() + "' on "
                        + listener.address() + transport + ": " + done.cause().getMessage()));
            }
        });
    }
}
