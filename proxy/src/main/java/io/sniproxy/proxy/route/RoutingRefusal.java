package io.sniproxy.proxy.route;

import io.sniproxy.proxy.metrics.Outcome;

/** A connection that must not reach any backend, and why. Not an error of ours: no stack trace. */
public final class RoutingRefusal extends RuntimeException {

    private final Outcome outcome;

    public RoutingRefusal(Outcome outcome, String reason) {
        super(reason, null, false, false);
        this.outcome = outcome;
    }

    public Outcome outcome() {
        return outcome;
    }
}
