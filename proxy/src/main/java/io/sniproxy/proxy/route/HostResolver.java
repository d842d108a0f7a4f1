package io.sniproxy.proxy.route;

import io.vertx.core.Future;
import java.net.InetAddress;
import java.util.List;

/** Asynchronous name resolution; never blocks the calling event loop. */
@FunctionalInterface
public interface HostResolver {

    Future<InetAddress> resolve(String hostname);

    /** Every address of {@code hostname}, in the resolver's order (failover order); at least one. */
    default Future<List<InetAddress>> resolveAll(String hostname) {
        return resolve(hostname).map(List::of);
    }
}
