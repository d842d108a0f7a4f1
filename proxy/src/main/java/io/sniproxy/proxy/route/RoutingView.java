package io.sniproxy.proxy.route;

import io.sniproxy.config.ProxyConfig;
import io.sniproxy.route.RouteTable;

/**
 * What routing reads of one config generation. The runtime's {@code Snapshot} is one; routing
 * depends on this view, not on the runtime that holds the snapshot (no package cycle).
 */
public interface RoutingView {

    ProxyConfig config();

    RouteTable routes();

    SelfLoopGuard selfLoop();
}
