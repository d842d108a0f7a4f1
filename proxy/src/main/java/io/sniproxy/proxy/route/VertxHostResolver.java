package io.sniproxy.proxy.route;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import java.net.InetAddress;

/**
 * Resolves through Vert.x's own asynchronous DNS resolver (hosts file, resolv.conf, caching),
 * the one its clients use, so a slow DNS server never blocks an event loop.
 */
public final class VertxHostResolver implements HostResolver {

    private final VertxInternal vertx;

    public VertxHostResolver(Vertx vertx) {
        this.vertx = (VertxInternal) vertx;
    }

    @Override
    public Future<InetAddress> resolve(String hostname) {
        Promise<InetAddress> promise = Promise.promise();
        vertx.resolveAddress(hostname, promise);
        return promise.future();
    }
}
