package io.sniproxy.proxy.runtime;

import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.vertx.core.Future;

/** Binds listeners of some protocols (TCP: tls/http/auto; UDP: quic). */
public interface ListenerFactory {

    boolean supports(Protocol protocol);

    /** Binds and starts accepting; fails (without leaving anything bound) when the address is unusable. */
    Future<RunningListener> bind(Listener listener, ServerContext server);

    /** A bound listener. */
    interface RunningListener {
        Listener listener();

        /** Stops accepting new clients; connections already accepted go on. */
        Future<Void> stopAccepting();
    }
}
