package io.sniproxy.proxy.route;

import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

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
        // A static backend is usually an IP literal: answer it here, on the caller's loop. Through
        // Vert.x it cost a context per call and a hop to another event loop and back (bench: the
        // new-connection workload).
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(hostname);
        if (literal != null) {
            try {
                return Future.succeededFuture(InetAddress.getByAddress(hostname, literal));
            } catch (java.net.UnknownHostException impossible) {
                return Future.failedFuture(impossible); // only for a wrong-length array
            }
        }
        Promise<InetAddress> promise = Promise.promise();
        vertx.resolveAddress(hostname, promise);
        return promise.future();
    }

    @Override
    public Future<List<InetAddress>> resolveAll(String hostname) {
        if (NetUtil.createByteArrayFromIpAddressString(hostname) != null) {
            return resolve(hostname).map(List::of);
        }
        Promise<List<InetSocketAddress>> promise = Promise.promise();
        vertx.addressResolver().resolveHostnameAll(hostname, promise);
        return promise.future().map(all -> all.stream().map(InetSocketAddress::getAddress).distinct().toList());
    }
}
