package io.sniproxy.proxy.route;

import io.vertx.core.Future;
import java.net.InetAddress;

/** Asynchronous name resolution; never blocks the calling event loop. */
@FunctionalInterface
public interface HostResolver {

    Future<InetAddress> resolve(String hostname);
}
